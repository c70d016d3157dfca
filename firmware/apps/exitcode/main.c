/*
 * exitcode - main() returns 3; the startup code passes it to semihosting
 * SYS_EXIT_EXTENDED {ADP_Stopped_ApplicationExit, 3}. No peripherals.
 *
 * Semihosting output (SYS_WRITE0):
 *   exitcode: returning 3 from main
 * Exit code 3.
 */
#include "tinysim.h"

int main(void)
{
    semihost_write0("exitcode: returning 3 from main\n");
    return 3;
}
