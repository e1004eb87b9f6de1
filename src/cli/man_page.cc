#include "cli/man_page.h"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::cli {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return std::string(s.substr(b, e - b + 1));
}

// "Examples:" or "Exit codes: 0 ok, …" — a short heading (one or two words) and a colon.
bool heading_of(std::string_view line, std::string& heading, std::string& rest) {
  if (line.empty() || line[0] == ' ') return false;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 16) return false;
  std::string_view h = line.substr(0, colon);
  if (std::count(h.begin(), h.end(), ' ') > 1) return false;
  if (!std::all_of(h.begin(), h.end(), [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) || c == ' ';
      })) {
    return false;
  }
  heading = std::string(h);
  rest = trim(line.substr(colon + 1));
  return true;
}

// Prose lines joined into one paragraph each (the --help text wraps them by hand).
std::string paragraph(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : " ") + trim(l);
  return out;
}

// A help text as a sentence: a capital (unless it starts with a name like lock_timeout or
// PostgreSQL) and a full stop.
std::string sentence(std::string_view text) {
  std::string s = trim(text);
  size_t word_end = s.find_first_of(" :,;");
  std::string_view first = std::string_view(s).substr(0, word_end);
  if (!first.empty() && std::all_of(first.begin(), first.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c));
      })) {
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  }
  if (!s.empty() && s.back() != '.' && s.back() != '!' && s.back() != '?' && s.back() != ':') {
    s += '.';
  }
  return s;
}

// A character outside ASCII: groff's own name for the common ones (every output device has
// those), else \[uXXXX].
std::string glyph(unsigned cp) {
  switch (cp) {
    case 0x2026:
      return "...";
    case 0x2014:
      return "\\(em";
    case 0x2013:
      return "\\(en";
    case 0x2018:
      return "\\(oq";
    case 0x2019:
      return "\\(cq";
    case 0x201C:
      return "\\(lq";
    case 0x201D:
      return "\\(rq";
    case 0x2192:
      return "\\(->";
    case 0x00A0:
      return "\\~";
    default:
      return fmt::format("\\[u{:04X}]", cp);
  }
}

std::string bold(std::string_view s) { return "\\fB" + roff_escape(s) + "\\fR"; }
std::string italic(std::string_view s) { return "\\fI" + roff_escape(s) + "\\fR"; }

// One option as a tagged paragraph: its names, its value, its help and default.
std::string option_item(const OptionInfo& o) {
  std::string names;
  for (const auto* list : {&o.short_names, &o.long_names}) {
    for (const std::string& n : *list) names += (names.empty() ? "" : ", ") + bold(n);
  }
  if (o.values > 0) {
    std::string value =
        o.choices.empty() ? o.value_name : fmt::format("{{{}}}", fmt::join(o.choices, "|"));
    for (int i = 0; i < o.values; ++i) names += " " + italic(value.empty() ? "VALUE" : value);
  }
  std::string text = sentence(o.description);
  if (!o.default_value.empty()) text += fmt::format(" Default: {}.", o.default_value);
  return ".TP\n" + names + "\n" + roff_escape(text) + "\n";
}

// Verbatim lines (examples), indented, never filled.
std::string verbatim(const std::vector<std::string>& lines) {
  std::string out = ".RS 4\n.nf\n";
  for (const std::string& l : lines) out += roff_escape(l) + "\n";
  return out + ".fi\n.RE\n";
}

// The footer of a command: its prose, then its examples.
std::string footer_text(const std::vector<FooterPart>& parts) {
  std::string out;
  for (const FooterPart& p : parts) {
    if (p.heading.empty()) {
      out += ".PP\n" + roff_escape(paragraph(p.lines)) + "\n";
    } else if (p.heading == "Example" || p.heading == "Examples") {
      out += ".PP\n" + roff_escape(p.heading) + ":\n" + verbatim(p.lines);
    }
  }
  return out;
}

std::string synopsis_of(const CommandInfo& c) {
  std::string out = bold("tandem") + " [" + italic("OPTIONS") + "] " + bold(c.path_text());
  bool own_options = std::any_of(c.options.begin(), c.options.end(), [](const OptionInfo& o) {
    return o.long_names != std::vector<std::string>{"--help"};
  });
  if (own_options) out += " [" + italic("OPTIONS") + "]";
  if (!c.commands.empty()) out += " " + italic("COMMAND");
  for (const PositionalInfo& p : c.positionals) {
    std::string name = p.choices.empty() ? p.name : fmt::format("{}", fmt::join(p.choices, "|"));
    std::string word = italic(name) + (p.repeatable ? "\\&..." : "");
    out += " " + (p.required ? word : "[" + word + "]");
  }
  return out;
}

void render_command(const CommandInfo& c, std::string& out) {
  out += ".SS \"" + roff_escape(c.path_text()) + "\"\n";
  out += synopsis_of(c) + "\n.PP\n" + roff_escape(sentence(c.description)) + "\n";
  for (const PositionalInfo& p : c.positionals) {
    out += ".TP\n" + italic(p.name) + "\n" + roff_escape(sentence(p.description)) + "\n";
  }
  for (const OptionInfo& o : c.options) {
    if (o.long_names == std::vector<std::string>{"--help"}) continue;  // every command has it
    out += option_item(o);
  }
  out += footer_text(split_footer(c.footer));
  for (const CommandInfo& sub : c.commands) render_command(sub, out);
}

}  // namespace

std::vector<FooterPart> split_footer(std::string_view footer) {
  std::vector<FooterPart> parts;
  size_t pos = 0;
  bool in_block = false;
  while (pos <= footer.size()) {
    size_t nl = footer.find('\n', pos);
    std::string_view line = footer.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? footer.size() + 1 : nl + 1;
    std::string heading, rest;
    if (trim(line).empty()) {
      in_block = false;
    } else if (heading_of(line, heading, rest)) {
      parts.push_back({heading, {}});
      if (!rest.empty()) parts.back().lines.push_back(rest);
      in_block = true;
    } else if (in_block && starts_with(line, "  ")) {
      parts.back().lines.push_back(std::string(line.substr(2)));
    } else {
      if (in_block || parts.empty() || !parts.back().heading.empty()) parts.push_back({"", {}});
      in_block = false;
      parts.back().lines.push_back(std::string(line));
    }
  }
  return parts;
}

std::string roff_escape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          out += "\\e";
          break;
        case '-':
          out += "\\-";
          break;
        case '\'':
          out += "\\(aq";
          break;
        case '`':
          out += "\\(ga";
          break;
        case '"':
          out += "\\(dq";
          break;
        case '.':
          if (out.empty() || out.back() == '\n') out += "\\&";
          out += '.';
          break;
        default:
          out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // UTF-8: decode one code point; an invalid byte becomes U+FFFD.
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    unsigned cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
    bool ok = len > 0 && i + static_cast<size_t>(len) <= text.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
      ok = (cc & 0xC0u) == 0x80u;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    out += glyph(ok ? cp : 0xFFFDu);
    i += ok ? static_cast<size_t>(len) : 1;
  }
  return out;
}

std::string man_page(const CommandInfo& root, std::string_view version) {
  std::string name_line = root.description;
  if (size_t dash = name_line.find(" — "); dash != std::string::npos) {
    name_line = name_line.substr(dash + std::string_view(" — ").size());
  }
  std::vector<FooterPart> footer = split_footer(root.footer);
  std::string out = fmt::format(
      ".\\\" tandem.1, generated by `tandem man` from tandem's --help texts. Do not edit.\n"
      ".TH TANDEM 1 \"\" \"tandem {}\" \"User Commands\"\n",
      roff_escape(version));
  out += ".SH NAME\ntandem \\- " + roff_escape(name_line) + "\n";

  out += ".SH SYNOPSIS\n" + bold("tandem") + " [" + italic("OPTIONS") + "] " + italic("COMMAND") +
         " [" + italic("ARGS") + "]\n.br\n" + bold("tandem") + " " + italic("COMMAND") + " " +
         bold("--help") + "\n";

  out += ".SH DESCRIPTION\n" + roff_escape(sentence(name_line)) + "\n";
  for (const FooterPart& p : footer) {
    if (p.heading.empty()) out += ".PP\n" + roff_escape(paragraph(p.lines)) + "\n";
  }

  out += ".SH OPTIONS\nThese options go before or after the command.\n";
  for (const OptionInfo& o : root.options) out += option_item(o);

  out += ".SH COMMANDS\n";
  for (const CommandInfo& c : root.commands) render_command(c, out);

  for (const FooterPart& p : footer) {
    if (p.heading == "Example" || p.heading == "Examples")
      out += ".SH EXAMPLES\n" + verbatim(p.lines);
  }
  for (const FooterPart& p : footer) {
    if (p.heading != "Environment") continue;
    out += ".SH ENVIRONMENT\n";
    for (const std::string& line : p.lines) {
      size_t gap = line.find("  ");
      std::string var = trim(line.substr(0, gap));
      std::string text = gap == std::string::npos ? "" : trim(line.substr(gap));
      out += ".TP\n" + bold(var) + "\n" + roff_escape(sentence(text)) + "\n";
    }
  }
  for (const FooterPart& p : footer) {
    if (p.heading != "Exit codes") continue;
    out += ".SH EXIT STATUS\n";
    // "0 ok, 1 problem found, …": one tagged paragraph per code.
    std::string all = paragraph(p.lines);
    if (!all.empty() && all.back() == '.') all.pop_back();
    for (size_t start = 0; start < all.size();) {
      size_t comma = all.find(", ", start);
      std::string item =
          trim(all.substr(start, comma == std::string::npos ? comma : comma - start));
      start = comma == std::string::npos ? all.size() : comma + 2;
      size_t space = item.find(' ');
      out += ".TP\n" + bold(item.substr(0, space)) + "\n" +
             roff_escape(space == std::string::npos ? "" : sentence(item.substr(space + 1))) + "\n";
    }
  }
  out +=
      ".SH SEE ALSO\n"
      ".BR psql (1),\n"
      ".BR sqlite3 (1),\n"
      ".BR pg_dump (1)\n"
      ".PP\n"
      "The guides in tandem\\(aqs docs/ folder: engine.md (versioned migrations), declarative.md\n"
      "(expand/contract), backfill.md, lint.md and errors.md.\n";
  return out;
}

}  // namespace tandem::cli
