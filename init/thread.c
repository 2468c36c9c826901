// SPDX-License-Identifier: MIT
/* A thread of keel-init's own, on a stack in its bss: no heap. */
#include <pthread.h>

#include "init/init.h"

void
init_thread_start(struct init_thread *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;

	t->on = !pthread_attr_init(&a) &&
		!pthread_attr_setstack(&a, t->stack, sizeof(t->stack)) &&
		!pthread_create(&t->th, &a, fn, arg);
	if (!t->on)
		fn(arg);
}

void
init_thread_join(struct init_thread *t)
{
	if (t->on)
		pthread_join(t->th, NULL);
	t->on = 0;
}
