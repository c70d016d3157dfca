# tinysim_add_firmware(<name> SOURCES <files...> [RUNTIME] [TICKER])
#   An executable <name>.elf: your sources plus the board support (startup, linker script,
#   console, semihosting, sensor bus), with RUNTIME the inference runtime (tsrt) and with
#   TICKER the periodic timer interrupt (it owns SysTick_Handler / mtimer_handler).
include_guard(GLOBAL)

function(_tinysim_flags out)
  execute_process(COMMAND "${TINYSIM}" sdk flags ${ARGN}
                  OUTPUT_VARIABLE _text OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "tinysim: `${TINYSIM} sdk flags ${ARGN}` failed (see above)")
  endif()
  separate_arguments(_list UNIX_COMMAND "${_text}")
  set(${out} "${_list}" PARENT_SCOPE)
endfunction()

function(tinysim_add_firmware name)
  cmake_parse_arguments(A "RUNTIME;TICKER" "" "SOURCES" ${ARGN})
  set(opts --board "${TINYSIM_BOARD}")
  if(A_RUNTIME)
    list(APPEND opts --runtime)
  endif()
  if(A_TICKER)
    list(APPEND opts --ticker)
  endif()
  _tinysim_flags(cflags ${opts} --cflags)
  _tinysim_flags(ldflags ${opts} --ldflags)
  _tinysim_flags(libs ${opts} --libs)
  _tinysim_flags(sources ${opts} --sources)
  add_executable(${name} ${A_SOURCES} ${sources})
  target_compile_options(${name} PRIVATE ${cflags})
  target_link_options(${name} PRIVATE ${ldflags} "-Wl,-Map=$<TARGET_FILE_DIR:${name}>/${name}.map")
  target_link_libraries(${name} PRIVATE ${libs})
endfunction()
