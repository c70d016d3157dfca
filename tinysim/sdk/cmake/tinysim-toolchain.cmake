# CMake toolchain file for the boards tinysim emulates.
#
#   cmake -B build -DCMAKE_TOOLCHAIN_FILE="$(tinysim sdk path --cmake)/tinysim-toolchain.cmake" \
#         -DTINYSIM_BOARD=nano33ble
#   # CMakeLists.txt:  project(my_app C ASM)
#   #                  tinysim_add_firmware(my_app SOURCES main.c [RUNTIME] [TICKER])
#
# The compiler and flags come from `tinysim sdk flags` (the board's board.mk), so they are the
# ones tinysim's own firmware is built with. TINYSIM: the tinysim command (default: on PATH).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)   # bare metal: a test link has no startup code

if(NOT TINYSIM_BOARD)
  set(TINYSIM_BOARD "$ENV{TINYSIM_BOARD}")
endif()
if(NOT TINYSIM_BOARD)
  message(FATAL_ERROR "tinysim: give the board, e.g. -DTINYSIM_BOARD=nano33ble (see `tinysim platforms`)")
endif()
if(NOT TINYSIM)
  find_program(TINYSIM tinysim)
endif()
if(NOT TINYSIM)
  message(FATAL_ERROR "tinysim: the tinysim command is not on PATH; pass -DTINYSIM=/path/to/bin/tinysim")
endif()
# try_compile projects run this file again: hand them the same settings.
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYSIM_BOARD TINYSIM)
set(TINYSIM_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "")
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

execute_process(COMMAND "${TINYSIM}" sdk flags --board "${TINYSIM_BOARD}" --cc
                OUTPUT_VARIABLE _tinysim_cc OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "tinysim: `${TINYSIM} sdk flags --board ${TINYSIM_BOARD} --cc` failed (see above)")
endif()
set(CMAKE_C_COMPILER "${_tinysim_cc}")
set(CMAKE_ASM_COMPILER "${_tinysim_cc}")
set(CMAKE_EXECUTABLE_SUFFIX_C ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_ASM ".elf")

# tinysim_add_firmware() for the CMakeLists that use this toolchain
include("${CMAKE_CURRENT_LIST_DIR}/tinysim.cmake")
