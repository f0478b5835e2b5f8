/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl's objects; each returns the process exit code. */
#ifndef CALPERFCTL_COMMANDS_H
#define CALPERFCTL_COMMANDS_H

int cmd_session(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_rr(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

#endif
