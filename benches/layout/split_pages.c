/*
 * LD_PRELOAD for the layout tool: splits the main binary's read-only
 * mappings into one VMA per page, before main runs. The kernel's fault-around
 * never crosses a VMA, so from then on a page is resident only if it was
 * touched, and pagemap shows exactly the code that ran since the daemon gave
 * its start-up pages back. Neighbouring pages alternate MADV_RANDOM so they
 * cannot merge again; that flag only turns off read-ahead.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((constructor)) static void split_pages(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0)
    return;
  exe[n] = 0;
  FILE *maps = fopen("/proc/self/maps", "r");
  if (!maps)
    return;
  unsigned long ranges[8][2];
  int count = 0;
  char line[PATH_MAX + 128];
  while (count < 8 && fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    char perms[8], path[PATH_MAX] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &start, &end, perms, path) >= 3 &&
        perms[1] == '-' && strcmp(path, exe) == 0) {
      ranges[count][0] = start;
      ranges[count][1] = end;
      count++;
    }
  }
  fclose(maps);
  long page = sysconf(_SC_PAGESIZE);
  for (int i = 0; i < count; i++)
    for (unsigned long p = ranges[i][0]; p < ranges[i][1]; p += 2 * page)
      madvise((void *)p, page, MADV_RANDOM);
}
