/* SPDX-License-Identifier: MIT */
/* A step run beside the caller's: a thread on a stack of its own. */
#ifndef KEEL_THREAD_H
#define KEEL_THREAD_H

#include <pthread.h>

/*
 * fn(arg) on a thread whose stack is t's (static storage: no mapping,
 * no heap), or at once in the caller when no thread starts. fn shares
 * nothing with the caller but what the caller reads after thread_join;
 * in keel-init it may not log (klog is not for threads). 16 KiB: the
 * deepest use, an image's signature check, takes about 3 KiB.
 */
struct thread {
	pthread_t th;
	int on;
	unsigned char stack[16384] __attribute__((aligned(64)));
};
void thread_start(struct thread *t, void *(*fn)(void *), void *arg);
/* Waits for fn to end (nothing if it ran in the caller). */
void thread_join(struct thread *t);

#endif
