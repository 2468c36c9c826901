// SPDX-License-Identifier: MIT
/* A step run beside the caller's, on a stack in static storage. */
#include "lib/base/thread.h"

void
thread_start(struct thread *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;

	t->on = !pthread_attr_init(&a) &&
		!pthread_attr_setstack(&a, t->stack, sizeof(t->stack)) &&
		!pthread_create(&t->th, &a, fn, arg);
	if (!t->on)
		fn(arg);
}

void
thread_join(struct thread *t)
{
	if (t->on)
		pthread_join(t->th, NULL);
	t->on = 0;
}
