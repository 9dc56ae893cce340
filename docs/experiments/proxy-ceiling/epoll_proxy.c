/* A minimal single-threaded TCP proxy, for measuring how far a proxy can
 * get ahead of HAProxy on loopback (see README.md). Not part of director.
 *
 *   epoll_proxy copy PORT     recv/send through user space (level-triggered
 *                             epoll, reads until EAGAIN)
 *   epoll_proxy sockmap PORT  the kernel carries the bytes: both sockets go
 *                             into a BPF sockhash and an SK_SKB verdict
 *                             program redirects each skb to the peer
 *
 * Backends: 127.0.0.1:19001 and :19002, round robin (the dataplane bench's
 * own backends, `HOLD=N cargo bench --bench dataplane`). On the first EOF
 * both sides are closed: no half-close, so this is an upper bound, not a
 * proxy to use. In sockmap mode a FIN can overtake redirected data. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(code, dst, src, off, imm) ((struct bpf_insn){code, dst, src, off, imm})
#define LISTENER UINT64_MAX

static int bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

/* A sockhash keyed by a socket's cookie, whose value is its peer, and the
 * verdict program attached to it: redirect(skb, map, cookie(skb)). */
static int sockhash_with_redirect(void) {
  union bpf_attr a = {0};
  a.map_type = BPF_MAP_TYPE_SOCKHASH;
  a.key_size = 8;
  a.value_size = 4;
  a.max_entries = 65536;
  int map = bpf(BPF_MAP_CREATE, &a);
  if (map < 0) { perror("sockhash"); exit(1); }
  struct bpf_insn prog[] = {
    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),          /* r6 = skb */
    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_socket_cookie),
    INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -8, 0),         /* key = cookie */
    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
    INSN(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, map), INSN(0, 0, 0, 0, 0),
    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8),          /* r3 = &key */
    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),           /* egress */
    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  };
  static char log[65536];
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SK_SKB;
  a.expected_attach_type = BPF_SK_SKB_VERDICT;
  a.insns = (uintptr_t)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (uintptr_t) "GPL";
  a.log_buf = (uintptr_t)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  int verdict = bpf(BPF_PROG_LOAD, &a);
  if (verdict < 0) { perror("verdict program"); fputs(log, stderr); exit(1); }
  memset(&a, 0, sizeof a);
  a.target_fd = map;
  a.attach_bpf_fd = verdict;
  a.attach_type = BPF_SK_SKB_VERDICT;
  if (bpf(BPF_PROG_ATTACH, &a)) { perror("attach"); exit(1); }
  return map;
}

static void redirect_to(int map, int from, int to) {
  uint64_t cookie;
  socklen_t len = sizeof cookie;
  uint32_t peer = to;
  getsockopt(from, SOL_SOCKET, SO_COOKIE, &cookie, &len);
  union bpf_attr a = {0};
  a.map_fd = map;
  a.key = (uintptr_t)&cookie;
  a.value = (uintptr_t)&peer;
  if (bpf(BPF_MAP_UPDATE_ELEM, &a)) perror("sockhash update");
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s copy|sockmap PORT\n", argv[0]); return 2; }
  int map = strcmp(argv[1], "sockmap") == 0 ? sockhash_with_redirect() : -1;
  int one = 1, next = 0;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in at = {AF_INET, htons(atoi(argv[2])), {htonl(INADDR_LOOPBACK)}};
  if (bind(listener, (void *)&at, sizeof at) || listen(listener, 4096)) { perror("listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u64 = LISTENER}};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  static int peer[1 << 16];
  static char buffer[65536];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == LISTENER) {
        int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (client < 0) continue;
        int backend = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = {AF_INET, htons(19001 + (next++ & 1)), {htonl(INADDR_LOOPBACK)}};
        if (client >= 1 << 16 || backend >= 1 << 16 || connect(backend, (void *)&to, sizeof to)) {
          close(client); close(backend); continue;
        }
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        peer[client] = backend;
        peer[backend] = client;
        if (map >= 0) { redirect_to(map, client, backend); redirect_to(map, backend, client); }
        struct epoll_event c = {EPOLLIN | EPOLLRDHUP, {.u64 = client}};
        struct epoll_event b = {EPOLLIN | EPOLLRDHUP, {.u64 = backend}};
        epoll_ctl(ep, EPOLL_CTL_ADD, client, &c);
        epoll_ctl(ep, EPOLL_CTL_ADD, backend, &b);
        continue;
      }
      int from = events[i].data.u64, to = peer[from];
      for (;;) {
        ssize_t got = recv(from, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0) { send(to, buffer, got, MSG_NOSIGNAL); continue; }
        if (got == 0 || errno != EAGAIN) { close(from); close(to); }
        break;
      }
    }
  }
}
