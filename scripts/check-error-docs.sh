#!/usr/bin/env bash
# shellcheck disable=SC2016  # the backticks and $ in single quotes are Perl and Markdown, not shell
# Keeps docs/errors.md complete: every problem kind the code can report (the first field of a
# tandem::Problem, include/tandem/migration.h — what `--json` prints as "kind") has an entry
# there headed by the kind in backticks (`### \`bad_name\``), and every kind so headed still
# exists in src/. Prints what is missing or stale and exits 1; exits 1 too when it finds no kind
# at all (an extraction that broke must not pass).
#
# A kind is a snake_case string literal in the first position of a Problem, in one of the ways
# the code builds them:
#   Problem{"kind", …}  Problem p{"kind", …}    a Problem named as such
#   push_back({"kind", file, line, column, message[, hint]})
#                        a brace list shaped like a Problem: 5 or 6 elements, the 3rd and 4th
#                        (line, column) not strings; `cond ? "a" : "b"` in first place gives both
#   p.kind = "kind";     problem("kind", …)      an assignment, or a helper taking the kind first
set -euo pipefail
cd "$(dirname "$0")/.."
doc=docs/errors.md

extract() {
  find src include -name '*.cc' -o -name '*.h' | LC_ALL=C sort | xargs perl -e '
    use strict; use warnings;
    my $kind = qr/^[a-z][a-z0-9_]*$/;
    for my $file (@ARGV) {
      open(my $fh, "<", $file) or die "$file: $!";
      local $/; my $in = <$fh>; close $fh;
      # Comments blanked out (newlines kept, for line numbers); string literals kept.
      my ($src, $i, $n) = ("", 0, length $in);
      while ($i < $n) {
        my $c = substr($in, $i, 1);
        if (substr($in, $i, 2) eq "//") {
          my $e = index($in, "\n", $i); $e = $n if $e < 0;
          $src .= " " x ($e - $i); $i = $e;
        } elsif (substr($in, $i, 2) eq "/*") {
          my $e = index($in, "*/", $i + 2); $e = $n - 2 if $e < 0;
          (my $t = substr($in, $i, $e + 2 - $i)) =~ s/[^\n]/ /g;
          $src .= $t; $i = $e + 2;
        } elsif (substr($in, $i, 2) =~ /^R"/ && $i > 0 && substr($in, $i - 1, 1) !~ /\w/) {
          substr($in, $i) =~ /^R"([^(]*)\(/; my $d = $1 // "";
          my $e = index($in, ")$d\"", $i); $e = $n if $e < 0;
          (my $t = substr($in, $i, $e + length($d) + 2 - $i)) =~ s/[^\n]/ /g;
          $src .= $t; $i = $e + length($d) + 2;
        } elsif ($c eq "\"" || $c eq "\x27") {
          my $j = $i + 1;
          while ($j < $n && substr($in, $j, 1) ne $c) { $j += substr($in, $j, 1) eq "\\" ? 2 : 1; }
          $src .= substr($in, $i, $j + 1 - $i); $i = $j + 1;
        } else { $src .= $c; $i++; }
      }
      my $emit = sub {
        my ($pos, $k) = @_;
        my $line = 1 + (substr($src, 0, $pos) =~ tr/\n//);
        print "$k $file:$line\n";
      };
      # The top-level elements of the brace list that opens at $pos.
      my $elements = sub {
        my $pos = shift; my ($depth, $j, @el) = (0, $pos, "");
        while ($j < length $src) {
          my $c = substr($src, $j, 1);
          if ($c eq "\"" || $c eq "\x27") {
            my $k = $j + 1;
            while ($k < length $src && substr($src, $k, 1) ne $c) { $k += substr($src, $k, 1) eq "\\" ? 2 : 1; }
            $el[-1] .= substr($src, $j, $k + 1 - $j); $j = $k + 1; next;
          }
          if ($c =~ /[{(\[]/) { $depth++; if ($depth == 1) { $j++; next; } }
          elsif ($c =~ /[})\]]/) { $depth--; return @el if $depth == 0; }
          elsif ($c eq "," && $depth == 1) { push @el, ""; $j++; next; }
          $el[-1] .= $c; $j++;
        }
        return ();
      };
      # The kinds in a first element: "a", or cond ? "a" : "b" — only when every literal in it
      # is a kind (a message is not).
      my $kinds_in = sub {
        my $e = shift;
        return () unless $e =~ /^\s*(?:[^"]*\?\s*)?"/;
        my @all = ($e =~ /"((?:[^"\\]|\\.)*)"/g);
        my @k = grep { $_ =~ $kind } @all;
        return @all && @k == @all ? @k : ();
      };
      while ($src =~ /\{/g) {
        my $pos = pos($src) - 1;
        my @el = $elements->($pos);
        next unless @el;
        my $named = substr($src, 0, $pos) =~ /\bProblem(?:\s+\w+)?\s*$/;
        my $shaped = (@el == 5 || @el == 6) && $el[2] !~ /"/ && $el[3] !~ /"/;
        next unless $named || $shaped;
        $emit->($pos, $_) for $kinds_in->($el[0]);
      }
      while ($src =~ /\.kind\s*=\s*"([a-z][a-z0-9_]*)"/g) { $emit->(pos($src), $1); }
      while ($src =~ /\b\w*problem\s*\(\s*"([a-z][a-z0-9_]*)"\s*,/g) { $emit->(pos($src), $1); }
    }'
}

found=$(extract)
if [ -z "$found" ]; then
  echo "error_docs: found no problem kind in src/ — the extraction is broken (see this script)" >&2
  exit 1
fi
code_kinds=$(awk '{print $1}' <<<"$found" | LC_ALL=C sort -u)
# Entries: a Markdown heading that is exactly one kind in backticks.
doc_kinds=$(grep -oE '^#{2,6} `[a-z][a-z0-9_]*`[[:space:]]*$' "$doc" |
            sed -E 's/^#+ `([a-z0-9_]+)`.*/\1/' | LC_ALL=C sort -u || true)

bad=0
while IFS= read -r k; do
  [ -z "$k" ] && continue
  if ! grep -qxF "$k" <<<"$doc_kinds"; then
    where=$(awk -v k="$k" '$1 == k {print $2}' <<<"$found" | paste -sd' ' -)
    echo "$doc has no entry for the problem kind $k (reported at $where): add one headed ### \`$k\`" >&2
    bad=1
  fi
done <<<"$code_kinds"
while IFS= read -r k; do
  [ -z "$k" ] && continue
  if ! grep -qxF "$k" <<<"$code_kinds"; then
    echo "$doc has an entry for \`$k\`, which no code in src/ reports any more: remove it" >&2
    bad=1
  fi
done <<<"$doc_kinds"
count=$(wc -l <<<"$code_kinds")
if [ "$bad" -ne 0 ]; then
  echo "error_docs: docs/errors.md and the problem kinds in src/ disagree (see above)" >&2
  exit 1
fi
echo "error_docs: all $count problem kinds in src/ have an entry in $doc, and no entry is stale"
