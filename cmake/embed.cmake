# embed.cmake - the HTML report's style and scripts (src/engine/report/) as C string
# literals, so the report writer carries them and the page needs no file beside it.
#   cmake -DOUT=header -DNAMES="NAME=file|NAME=file" -P embed.cmake
string(REPLACE "|" ";" NAMES "${NAMES}")
set(hdr "/* Generated from src/engine/report/ by cmake/embed.cmake; do not edit. */\n")
foreach(pair IN LISTS NAMES)
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 name)
  list(GET pair 1 file)
  file(READ "${file}" content)
  string(REPLACE "\\" "\\\\" content "${content}")
  string(REPLACE "\"" "\\\"" content "${content}")
  string(REPLACE "\n" "\\n\"\n    \"" content "${content}")
  string(APPEND hdr "static const char ${name}[] =\n    \"${content}\";\n")
endforeach()
file(WRITE "${OUT}.tmp" "${hdr}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
