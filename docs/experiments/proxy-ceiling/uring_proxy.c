/* A minimal TCP proxy on io_uring, for measuring how far a proxy can get
 * ahead of HAProxy on loopback (see README.md). Not part of director.
 *
 *   uring_proxy PROCESSES PORT
 *
 * Each process has its own ring (single issuer, deferred task work) and
 * its own SO_REUSEPORT listener with a multishot accept. A connection has
 * one recv in flight per side; a completed recv becomes a send to the
 * peer, a completed send the next recv. Backends: 127.0.0.1:19001 and
 * :19002, round robin per process. The connect is blocking (instant on
 * loopback), a short send is not resumed, and the first EOF closes both
 * sides: an upper bound, not a proxy to use. Build with -luring. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNECTIONS 4096
#define BUFFER 16384
enum op { ACCEPT = 1, RECV, SEND };

struct connection {
  int fd[2];         /* client, backend */
  int in_flight;     /* recvs or sends still owned by the ring */
  char buffer[2][BUFFER];
};

static struct connection connections[CONNECTIONS];
static int free_slots[CONNECTIONS], free_count;
static struct io_uring ring;

static uint64_t tag(enum op op, int slot, int side) {
  return (uint64_t)op << 32 | (uint64_t)slot << 1 | side;
}

static struct io_uring_sqe *next_sqe(void) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  if (!sqe) { io_uring_submit(&ring); sqe = io_uring_get_sqe(&ring); }
  return sqe;
}

static void accept_on(int listener) {
  struct io_uring_sqe *sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, tag(ACCEPT, 0, 0));
}

static void recv_on(int slot, int side) {
  struct connection *c = &connections[slot];
  struct io_uring_sqe *sqe = next_sqe();
  io_uring_prep_recv(sqe, c->fd[side], c->buffer[side], BUFFER, 0);
  io_uring_sqe_set_data64(sqe, tag(RECV, slot, side));
}

static void send_from(int slot, int side, int length) {
  struct connection *c = &connections[slot];
  struct io_uring_sqe *sqe = next_sqe();
  io_uring_prep_send(sqe, c->fd[1 - side], c->buffer[side], length, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(SEND, slot, side));
}

/* The first EOF or error ends both sides; the slot is freed once the ring
 * has returned everything it held for it. */
static void end(int slot) {
  struct connection *c = &connections[slot];
  shutdown(c->fd[0], SHUT_RDWR);
  shutdown(c->fd[1], SHUT_RDWR);
  if (--c->in_flight == 0) {
    close(c->fd[0]);
    close(c->fd[1]);
    free_slots[free_count++] = slot;
  }
}

static void accepted(int client, int *next_backend) {
  int one = 1;
  int backend = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = {AF_INET, htons(19001 + ((*next_backend)++ & 1)), {htonl(INADDR_LOOPBACK)}};
  if (free_count == 0 || connect(backend, (void *)&to, sizeof to)) {
    close(client); close(backend); return;
  }
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int slot = free_slots[--free_count];
  connections[slot].fd[0] = client;
  connections[slot].fd[1] = backend;
  connections[slot].in_flight = 2;
  recv_on(slot, 0);
  recv_on(slot, 1);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s PROCESSES PORT\n", argv[0]); return 2; }
  for (int p = 1; p < atoi(argv[1]); p++)
    if (fork() == 0) break;
  struct io_uring_params params = {0};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(1024, &ring, &params)) { perror("io_uring"); return 1; }
  int one = 1, next_backend = 0;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in at = {AF_INET, htons(atoi(argv[2])), {htonl(INADDR_LOOPBACK)}};
  if (bind(listener, (void *)&at, sizeof at) || listen(listener, 4096)) { perror("listen"); return 1; }
  for (int slot = CONNECTIONS - 1; slot >= 0; slot--) free_slots[free_count++] = slot;
  accept_on(listener);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      uint64_t t = cqe->user_data;
      int op = t >> 32, slot = (t & 0xffffffff) >> 1, side = t & 1, result = cqe->res;
      if (op == ACCEPT) {
        if (!(cqe->flags & IORING_CQE_F_MORE)) accept_on(listener);
        if (result >= 0) accepted(result, &next_backend);
      } else if (result <= 0) {
        end(slot);
      } else if (op == RECV) {
        send_from(slot, side, result);
      } else {
        recv_on(slot, side);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}
