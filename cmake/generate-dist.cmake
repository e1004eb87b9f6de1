# Runs the built tandem to write its man page and shell completions into OUT (cmake/install.cmake).
#   cmake -DTANDEM=path/to/tandem -DOUT=dir -P generate-dist.cmake
file(MAKE_DIRECTORY ${OUT})

function(generate file)
  execute_process(COMMAND ${TANDEM} ${ARGN} OUTPUT_FILE ${OUT}/${file}.tmp
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`tandem ${ARGN}` failed (${rc}): ${err}")
  endif()
  file(RENAME ${OUT}/${file}.tmp ${OUT}/${file})
endfunction()

generate(tandem.1 man)
generate(tandem.bash completion bash)
generate(_tandem completion zsh)
generate(tandem.fish completion fish)
