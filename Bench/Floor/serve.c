/*
 * tickwire-floor serve: the floor's server. One thread, one epoll set:
 * the listening socket, a timerfd at the tick rate, every connection, and
 * the guard (floor.h). Every tick it writes the one shared message to each
 * connection with one write(); whenever a connection is readable it reads
 * what is there (the players' replies) and counts it.
 *
 * A connection whose socket is full is skipped for the tick, as Tickwire
 * skips a slow reader: a message cut short by a full socket is finished on
 * a later tick, which sends nothing new to that connection.
 */
#define _GNU_SOURCE
#include "floor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct connection {
    int fd;              /* -1 once closed, until the batch's end frees it */
    uint32_t written;    /* bytes of a message cut short, 0 when none */
};

static char listen_tag, timer_tag;
static uint8_t reading[65536];

static struct {
    struct connection **all;
    size_t count, capacity;
    int closed_some;
    uint64_t accepted, messages, skipped, bytes_read, ticks;
} served;

/* Reads what is left (replies sent before the close count), then closes. */
static void close_connection(struct connection *c) {
    if (c->fd < 0) return;
    ssize_t n;
    while ((n = read(c->fd, reading, sizeof reading)) > 0) served.bytes_read += (uint64_t)n;
    close(c->fd);   /* also leaves the epoll set */
    c->fd = -1;
    served.closed_some = 1;
}

/* Frees the connections closed during a batch of events, once no event refers to them. */
static void sweep(void) {
    if (!served.closed_some) return;
    size_t kept = 0;
    for (size_t i = 0; i < served.count; i++) {
        if (served.all[i]->fd >= 0) served.all[kept++] = served.all[i];
        else free(served.all[i]);
    }
    served.count = kept;
    served.closed_some = 0;
}

static void accept_all(int epoll, int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;   /* EAGAIN: no more for now; anything else: try again on the next event */
        floor_socket_options(fd);
        struct connection *c = calloc(1, sizeof *c);
        if (c == NULL) floor_fail("out of memory");
        c->fd = fd;
        struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
            close(fd);
            free(c);
            continue;
        }
        if (served.count == served.capacity) {
            served.capacity = served.capacity ? served.capacity * 2 : 1024;
            served.all = realloc(served.all, served.capacity * sizeof *served.all);
            if (served.all == NULL) floor_fail("out of memory");
        }
        served.all[served.count++] = c;
        served.accepted++;
    }
}

/* One write per connection: the tick's message, or the rest of one cut short. */
static void tick(const uint8_t *message, uint32_t bytes) {
    served.ticks++;
    for (size_t i = 0; i < served.count; i++) {
        struct connection *c = served.all[i];
        if (c->fd < 0) continue;
        if (c->written > 0) {
            ssize_t n = write(c->fd, message + c->written, bytes - c->written);
            if (n > 0) c->written = (c->written + (uint32_t)n) % bytes;
            else if (n < 0 && errno != EAGAIN) { close_connection(c); continue; }
            served.skipped++;
            continue;
        }
        ssize_t n = write(c->fd, message, bytes);
        if (n == (ssize_t)bytes) served.messages++;
        else if (n > 0) { c->written = (uint32_t)n; served.messages++; }
        else if (errno == EAGAIN) served.skipped++;
        else close_connection(c);
    }
}

/* Reads what one connection sent; true while it stays open. */
static int read_connection(struct connection *c) {
    ssize_t n = read(c->fd, reading, sizeof reading);
    if (n > 0) { served.bytes_read += (uint64_t)n; return 1; }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
    close_connection(c);
    return 0;
}

int floor_serve(int argc, char **argv) {
    long port = 0, rate = 30, bytes = 250, max_seconds = 3600;
    for (int i = 2; i < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = floor_int_option(argc, argv, i, 0, 65535);
        else if (strcmp(argv[i], "--tick-rate") == 0) rate = floor_int_option(argc, argv, i, 1, 1000);
        else if (strcmp(argv[i], "--message-bytes") == 0) bytes = floor_int_option(argc, argv, i, 4, FLOOR_MAX_MESSAGE);
        else if (strcmp(argv[i], "--max-seconds") == 0) max_seconds = floor_int_option(argc, argv, i, 1, 86400);
        else floor_fail("serve: unknown option %s (see tickwire-floor --help)", argv[i]);
    }

    int epoll = epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) floor_fail("epoll_create1: %s", strerror(errno));
    floor_guard_start(epoll);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, SOMAXCONN) != 0)
        floor_fail("cannot listen on 127.0.0.1:%ld: %s", port, strerror(errno));
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listen_tag};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);

    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    long period = 1000000000L / rate;
    struct itimerspec every = {.it_interval = {period / 1000000000L, period % 1000000000L},
                               .it_value = {period / 1000000000L, period % 1000000000L}};
    if (timer < 0 || timerfd_settime(timer, 0, &every, NULL) != 0) floor_fail("timerfd: %s", strerror(errno));
    event = (struct epoll_event){.events = EPOLLIN, .data.ptr = &timer_tag};
    epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &event);

    uint8_t *message = malloc((size_t)bytes);
    if (message == NULL) floor_fail("out of memory");
    floor_message(message, (uint32_t)bytes);
    uint64_t last_tick = (uint64_t)max_seconds * (uint64_t)rate;

    printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
    fflush(stdout);

    struct epoll_event events[512];
    int stop = 0;
    while (!stop) {
        int ready = epoll_wait(epoll, events, 512, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            floor_fail("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < ready; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &listen_tag) {
                accept_all(epoll, listener);
            } else if (tag == &timer_tag) {
                uint64_t expirations;
                /* Ticks missed while busy are not made up: one tick now. */
                if (read(timer, &expirations, sizeof expirations) == (ssize_t)sizeof expirations) tick(message, (uint32_t)bytes);
                if (served.ticks >= last_tick) stop = 1;
            } else if (!floor_guard_event(&events[i], &stop)) {
                struct connection *c = tag;
                if (c->fd >= 0) read_connection(c);
            }
        }
        sweep();
    }

    /* Count the replies still in the sockets, so that a short run adds up. */
    for (size_t i = 0; i < served.count; i++) close_connection(served.all[i]);
    printf("floor serve: ticks=%llu connections=%llu messages=%llu skipped=%llu bytes_read=%llu\n",
           (unsigned long long)served.ticks, (unsigned long long)served.accepted, (unsigned long long)served.messages,
           (unsigned long long)served.skipped, (unsigned long long)served.bytes_read);
    fflush(stdout);
    return 0;
}
