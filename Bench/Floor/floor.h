/*
 * tickwire-floor: the fan-out floor of this machine.
 *
 * A reference server and load generator in plain C (Linux epoll,
 * nonblocking sockets, loopback only) that do only what any game server's
 * fan-out must do: every tick one write() of one message to each player,
 * and reading each player's reply. `tickwire bench --fan-out` runs it beside
 * `tickwire serve` at the same player counts, tick rate and message sizes,
 * and reports Tickwire's server CPU as a multiple of this one's.
 *
 * A message, both ways (no WebSocket framing, no state, no allocation per
 * message; every player gets the same bytes):
 *
 *   +----------------+----------------------------+
 *   | length: u32 LE | filler: length - 4 bytes   |
 *   +----------------+----------------------------+
 *
 * `length` counts the whole message, its header included, so it is at
 * least 4.
 */
#ifndef TICKWIRE_FLOOR_H
#define TICKWIRE_FLOOR_H

#include <stdint.h>
#include <sys/epoll.h>

/* The largest message either side accepts: a bench never sends more. */
#define FLOOR_MAX_MESSAGE (1u << 20)

int floor_serve(int argc, char **argv);
int floor_load(int argc, char **argv);

/* Prints "tickwire-floor: <message>" on stderr and exits with status 2. */
void floor_fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* argv[i + 1] as an integer in [min, max], for option argv[i]; exits on anything else. */
long floor_int_option(int argc, char **argv, int i, long min, long max);

/* CLOCK_MONOTONIC in seconds. */
double floor_now(void);

/* Fills `message` (`bytes` long, at least 4) with its header and filler. */
void floor_message(uint8_t *message, uint32_t bytes);

/*
 * What makes a floor process stop by itself, so that it never outlives the
 * bench that started it: SIGTERM, SIGINT or SIGHUP; its parent's death
 * (PR_SET_PDEATHSIG); and end of file on stdin when stdin is a pipe or a
 * socket (a terminal or /dev/null is not watched). Also raises the open
 * file limit to its hard limit and ignores SIGPIPE. Registers what it
 * watches on `epoll`.
 */
void floor_guard_start(int epoll);

/* Handles an epoll event; true when it was the guard's and says to stop. */
int floor_guard_event(const struct epoll_event *event, int *stop);

/* Makes `fd` nonblocking and sets TCP_NODELAY, as Tickwire's sockets are. */
void floor_socket_options(int fd);

#endif
