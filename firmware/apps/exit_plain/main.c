/*
 * exit_plain - semihosting without the EXTENDED exit. No peripherals.
 *
 * Prints the first line one character at a time with SYS_WRITEC, the second
 * with SYS_WRITE0, then calls SYS_EXIT with reason ADP_Stopped_ApplicationExit
 * (0x20026) directly (r1/a1 = 0x20026, not a pointer) => exit code 0.
 *
 * Semihosting output:
 *   exit_plain: SYS_WRITEC
 *   exit_plain: SYS_WRITE0
 * Exit code 0.
 */
#include "tinysim.h"

int main(void)
{
    for (const char *s = "exit_plain: SYS_WRITEC\n"; *s; s++)
        semihost_writec(*s);
    semihost_write0("exit_plain: SYS_WRITE0\n");
    semihost_exit_reason(ADP_Stopped_ApplicationExit);
}
