/*
 * file_reads: N one-byte preads of a file, after the fstat that libc's stdio, tar or cp make
 * before reading one. The tracer learns from the fstat whether the descriptor is a regular
 * file of a local file system, and records no entry half for its reads.
 *
 * Usage: file_reads PATH N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: file_reads PATH N\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	long n = atol(argv[2]);
	char c;
	for (long i = 0; i < n; i++) {
		if (pread(fd, &c, 1, 0) != 1) {
			perror("pread");
			return 1;
		}
	}
	close(fd);
	return 0;
}
