// SPDX-License-Identifier: MIT
/* Unit tests: the range protocol, both sides, and installs over it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>

#include "lib/update/want.h"
#include "tests/unit/bundle_fixture.h"

static uint8_t b2[MAX_BUNDLE];
static size_t b2_len;
static struct bundle_out bo;
static uint32_t words[MAX_BUNDLE / BUNDLE_LZ4_BLOCK + 1];
static struct bundle_policy pol;

static void
make_v2(int fd, const struct img_meta *m)
{
	int out = memfd_create("b2", 0);

	bo.fd = out;
	CHECK(bundle_write(&bo, fd, m, BUNDLE_FORMAT_2, 0, words, NULL) == 0,
	      "bundle_write");
	b2_len = (size_t)bo.at;
	CHECK(pread(out, b2, b2_len, 0) == (ssize_t)b2_len, "read b2");
	close(out);
}

/* --- the client's parser ---------------------------------------------- */

static int
add(struct want_q *q, const char *v)
{
	return want_q_add(q, v, strlen(v), NULL);
}

static void
test_queue(void)
{
	struct want_q q;
	uint64_t off, len;
	char line[WANT_LINE_MAX];

	CHECK(want_line(line, 4096, 4096) == 15 &&
		  !strcmp(line, "want=4096+4096\n"),
	      "a line: %s", line);
	CHECK(want_line(line, 8192, WANT_TO_END) == 11 &&
		  !strcmp(line, "want=8192-\n"),
	      "a line to the end: %s", line);
	want_q_init(&q, 100000);
	CHECK(add(&q, "0+4096") == 0 && add(&q, "4096+4096") == 0 &&
		  add(&q, "9000+1") == 0 && q.n == 3 && q.asked == 8193,
	      "three ranges");
	CHECK(want_q_next(&q, &off, &len, NULL) == 1 && off == 0 &&
		  len == 4096 && q.n == 2,
	      "the oldest first");
	CHECK(add(&q, "8999+5") < 0, "a range before the last's end");
	CHECK(add(&q, "9001+0") < 0, "an empty range");
	CHECK(add(&q, "09001+5") < 0, "a leading zero");
	CHECK(add(&q, "9001+-5") < 0 && add(&q, "+5") < 0 &&
		  add(&q, "9001") < 0 && add(&q, "9001+5 ") < 0 &&
		  add(&q, "") < 0 && add(&q, "-") < 0 && add(&q, "9001+5-") < 0,
	      "not ranges");
	CHECK(add(&q, "99999+2") < 0 && add(&q, "100000-") < 0 &&
		  add(&q, "18446744073709551615+1") < 0 &&
		  add(&q, "9001+18446744073709551615") < 0,
	      "past the bundle");
	CHECK(add(&q, "50000-") == 0 && q.to_end && q.asked == 8193 + 50000,
	      "to the end");
	CHECK(add(&q, "100000+1") < 0, "nothing after a range to the end");
	want_q_init(&q, WANT_TO_END);
	for (unsigned i = 0; i < WANT_AHEAD; i++) {
		snprintf(line, sizeof(line), "%u+1", i);
		if (add(&q, line) < 0)
			break;
	}
	CHECK(q.n == WANT_AHEAD && add(&q, "100+1") < 0,
	      "at most %d ranges ahead", WANT_AHEAD);
	CHECK(want_q_next(&q, &off, &len, NULL) == 1 && add(&q, "100+1") == 0,
	      "one taken, one more");
	while (want_q_next(&q, &off, &len, NULL) == 1)
		;
	CHECK(q.n == 0 && off == 100 && want_q_next(&q, &off, &len, NULL) == 0,
	      "emptied in order");
}

/* Ranges partly sent from bytes already fetched (fetch_serve's head). */
static void
test_skip(void)
{
	struct want_q q;
	uint64_t off, len;

	want_q_init(&q, 100000);
	CHECK(want_q_peek(&q, &off, &len) == 0, "nothing to peek at");
	CHECK(add(&q, "0+4096") == 0 && add(&q, "4096+8192") == 0 &&
		  add(&q, "20000-") == 0,
	      "three ranges");
	CHECK(want_q_peek(&q, &off, &len) == 1 && off == 0 && len == 4096 &&
		  q.n == 3,
	      "peek leaves the oldest queued");
	want_q_skip(&q, 4096);
	CHECK(q.n == 2 && want_q_peek(&q, &off, &len) == 1 && off == 4096 &&
		  len == 8192,
	      "a range skipped whole leaves the queue");
	want_q_skip(&q, 100);
	CHECK(q.n == 2 && want_q_peek(&q, &off, &len) == 1 && off == 4196 &&
		  len == 8092,
	      "a range skipped in part keeps its rest");
	CHECK(want_q_next(&q, &off, &len, NULL) == 1 && off == 4196 &&
		  len == 8092,
	      "the rest is what is fetched");
	want_q_skip(&q, 1000);
	CHECK(q.n == 1 && want_q_peek(&q, &off, &len) == 1 && off == 21000 &&
		  len == WANT_TO_END,
	      "a range to the end keeps going to the end");
	want_q_skip(&q, 79000);
	CHECK(q.n == 0 && want_q_peek(&q, &off, &len) == 0,
	      "... and leaves when it reaches it");
	want_q_skip(&q, 1);
	CHECK(q.n == 0, "skipping in an empty queue does nothing");
}

/* --- a client on a thread: serves b2 as asked, or lies ---------------- */

struct client {
	int sock;
	int hello;	 /* send WANT_HELLO (else the whole bundle) */
	uint64_t flip;	 /* this bundle byte changed as it passes (~0) */
	uint64_t cut;	 /* close after this many bytes (~0) */
	int stall;	 /* at the cut, stay silent, connected, instead */
	uint64_t served; /* bytes sent */
	uint64_t ranges; /* want= lines taken */
	int broke;	 /* a want= line broke the protocol */
	char buf[512];
	size_t len;
};

static int
put(struct client *c, const uint8_t *p, uint64_t off, size_t n)
{
	static uint8_t t[64 * 1024];

	while (n) {
		size_t k = n < sizeof(t) ? n : sizeof(t);

		if (c->served + k > c->cut)
			k = (size_t)(c->cut - c->served);
		if (!k)
			return -1;
		memcpy(t, p, k);
		if (c->flip >= off && c->flip < off + k)
			t[c->flip - off] ^= 0x20;
		if (send(c->sock, t, k, MSG_NOSIGNAL) != (ssize_t)k)
			return -1;
		c->served += k;
		p += k;
		off += k;
		n -= k;
	}
	return 0;
}

/* The client is done sending: it closes, or stalls until the installer
 * gives up (shuts the connection down). */
static void *
client_end(struct client *c)
{
	char x;

	if (c->stall)
		while (recv(c->sock, &x, 1, 0) > 0)
			;
	shutdown(c->sock, SHUT_WR);
	return NULL;
}

static void *
client_run(void *arg)
{
	struct client *c = arg;
	struct want_q q;
	uint64_t off, len;

	want_q_init(&q, b2_len);
	if (!c->hello) {
		put(c, b2, 0, b2_len);
		return client_end(c);
	}
	if (send(c->sock, WANT_HELLO, WANT_HELLO_LEN, 0) != WANT_HELLO_LEN)
		return NULL;
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(c->buf, '\n', c->len))) {
			size_t l = (size_t)(nl - c->buf);

			if (l < 5 || memcmp(c->buf, "want=", 5) ||
			    want_q_add(&q, c->buf + 5, l - 5, NULL) < 0)
				c->broke = 1;
			c->ranges++;
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
		}
		while (want_q_next(&q, &off, &len, NULL) == 1) {
			if (len == WANT_TO_END)
				len = b2_len - off;
			if (put(c, b2 + off, off, (size_t)len) < 0)
				return client_end(c);
			if (q.to_end && !q.n)
				shutdown(c->sock, SHUT_WR);
		}
		n = recv(c->sock, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* The installer's wait for a client: 10 s (a test that hangs fails),
 * short for the clients that stall. */
static int idle_ms = 10000;

/* Installs b2 into slot through the protocol, copying from `from`. */
static int
over_wire(struct client *c, int slot, int from, struct want_src *ws,
	  struct kerr *e)
{
	struct bundle_src src;
	struct img_meta m;
	pthread_t th;
	int sv[2], r;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	c->sock = sv[1];
	pthread_create(&th, NULL, client_run, c);
	r = want_src_open(ws, sv[0], sv[0], from, idle_ms, &src, e);
	if (r == 0)
		r = bundle_install_src(&src, slot, &pol, NULL, &bw, &m, e);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static void
test_wire(void)
{
	static struct want_src ws;
	struct img_meta m, m2;
	struct kerr e = {0};
	struct bundle_hdr bh;
	struct client c;
	int fd = make_image(&m, 1000, 7, 1), slot, old;
	uint64_t prefix;

	make_v2(fd, &m);
	bundle_hdr_decode(b2 + IMG_META_SIZE, &m, &bh, NULL);
	prefix = bh.frame_offset + bh.frame_header_size;

	slot = slot_new();
	c = (struct client){.flip = ~0ull, .cut = ~0ull};
	CHECK(over_wire(&c, slot, fd, &ws, &e) == 0 &&
		  slot_equals_image(slot) && !ws.ranged && !bw.stats.delta,
	      "no hello: the whole bundle as a stream: %s", e.detail);
	close(slot);

	slot = slot_new();
	c = (struct client){.hello = 1, .flip = ~0ull, .cut = ~0ull};
	CHECK(over_wire(&c, slot, fd, &ws, &e) == 0 &&
		  slot_equals_image(slot) && bw.stats.delta &&
		  bw.stats.fetched == 0 && c.served == prefix && !c.broke,
	      "delta from the same image: %llu bytes asked (prefix %llu): %s",
	      (unsigned long long)c.served, (unsigned long long)prefix,
	      e.detail);
	close(slot);

	slot = slot_new();
	c = (struct client){.hello = 1, .flip = ~0ull, .cut = ~0ull};
	CHECK(over_wire(&c, slot, -1, &ws, &e) == 0 &&
		  slot_equals_image(slot) && !bw.stats.delta &&
		  c.served == b2_len && c.ranges == 3 && !c.broke,
	      "no source: three ranges, the last to the end: %s", e.detail);
	close(slot);

	old = make_image(&m2, 1000, 6, 1);
	{
		uint8_t x[IMG_BLOCK];
		for (int b = 0; b < 1000; b += 97) {
			memset(x, b, sizeof(x));
			pwrite(old, x, sizeof(x), (off_t)b * IMG_BLOCK);
		}
	}
	slot = slot_new();
	c = (struct client){.hello = 1, .flip = ~0ull, .cut = ~0ull};
	CHECK(over_wire(&c, slot, old, &ws, &e) == 0 &&
		  slot_equals_image(slot) && bw.stats.fetched == 7 * 16 &&
		  c.served < prefix + 7 * (BUNDLE_LZ4_BLOCK + 4) && !c.broke,
	      "delta: 7 lz4 blocks asked for, %llu bytes: %s",
	      (unsigned long long)c.served, e.detail);
	close(slot);

	/* a client that lies: a byte of a fetched block changed */
	slot = slot_new();
	c = (struct client){.hello = 1, .flip = prefix + 50, .cut = ~0ull};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 && !slot_verifies(slot),
	      "a changed byte from the client: refused: %s", e.detail);
	close(slot);
	/* a lie in the metadata: nothing written */
	slot = slot_new();
	c = (struct client){.hello = 1, .flip = 100, .cut = ~0ull};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 && !bw.touched,
	      "a changed header byte: refused, untouched: %s", e.detail);
	close(slot);
	/* a client that stops inside a range */
	slot = slot_new();
	c = (struct client){.hello = 1, .flip = ~0ull, .cut = prefix + 10};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 &&
		  failed_at(&e, "truncated") && !slot_verifies(slot),
	      "the client stops inside a range: %s", e.detail);
	close(slot);

	/* clients that stop sending and stay connected: abandoned after
	 * idle_ms, not waited for (alarm: a wait for ever fails the test) */
	idle_ms = 300;
	alarm(60);
	slot = slot_new();
	c = (struct client){.flip = ~0ull, .cut = 0, .stall = 1};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 &&
		  failed_at(&e, "client") &&
		  strstr(e.detail, "no byte for 300 ms"),
	      "a client that sends nothing: abandoned: %s", e.detail);
	close(slot);
	slot = slot_new();
	c = (struct client){.flip = ~0ull, .cut = b2_len / 2, .stall = 1};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 &&
		  failed_at(&e, "client") && !slot_verifies(slot),
	      "a stream that stalls halfway: abandoned: %s", e.detail);
	close(slot);
	slot = slot_new();
	c = (struct client){
	    .hello = 1, .flip = ~0ull, .cut = prefix + 10, .stall = 1};
	CHECK(over_wire(&c, slot, old, &ws, &e) < 0 &&
		  failed_at(&e, "client") && !slot_verifies(slot),
	      "a delta that stalls inside a range: abandoned: %s", e.detail);
	close(slot);
	alarm(0);
	idle_ms = 10000;
	close(old);
	close(fd);
}

int
main(void)
{
	fixture_keys();
	pol.ks = &ks;
	pol.flags = BUNDLE_ALLOW_DOWNGRADE | BUNDLE_GROW;
	test_queue();
	test_skip();
	test_wire();
	return unit_done("want");
}
