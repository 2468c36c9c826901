// SPDX-License-Identifier: MIT
/* Unit tests: the update manifest's parser and the rollout buckets. */
#include <stdio.h>
#include <string.h>

#include "lib/update/manifest.h"
#include "tests/unit/unit.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const char good[] = "keel-manifest=1\n"
			   "# a comment, and an empty line\n"
			   "\n"
			   "report=https://fleet.example/report\n"
			   "bundle=qemu-x86_64\n"
			   "bundle.version=42\n"
			   "bundle.epoch=3\n"
			   "bundle.size=73400320\n"
			   "bundle.url=app-42.bundle\n"
			   "bundle.header_sha256=" SHA "\n"
			   "bundle.rollout=25\n"
			   "bundle=rpi 4\n"
			   "bundle.url=https://cdn.example/rpi-7.bundle\n"
			   "bundle.header_sha256=" SHA "\n"
			   "bundle.version=7\n"
			   "bundle.epoch=0\n"
			   "bundle.size=1\n";

static int
parse(const char *s)
{
	static struct manifest m;

	return manifest_parse(s, strlen(s), &m, NULL);
}

/* good with the line starting with key replaced by line (or dropped). */
static int
variant(const char *key, const char *line)
{
	char buf[sizeof(good) + 256];
	const char *at = strstr(good, key), *nl = strchr(at, '\n');

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, line,
		 nl + 1);
	return parse(buf);
}

static void
test_parse(void)
{
	static struct manifest m;
	const struct manifest_entry *x;

	CHECK(manifest_parse(good, strlen(good), &m, NULL) == 0 && m.n == 2 &&
		  !strcmp(m.report, "https://fleet.example/report"),
	      "good manifest");
	x = manifest_find(&m, "qemu-x86_64");
	CHECK(x && x->version == 42 && x->epoch == 3 && x->size == 73400320 &&
		  !strcmp(x->url, "app-42.bundle") && x->rollout == 25 &&
		  x->header_sha256[0] == 0x9f && x->header_sha256[31] == 0x08,
	      "entry fields");
	x = manifest_find(&m, "rpi 4");
	CHECK(x && x->rollout == 100 && x->version == 7, "default rollout");
	CHECK(!manifest_find(&m, "rpi"), "no such board");
	CHECK(parse("keel-manifest=1\n") == 0, "no entry at all");

	CHECK(variant("keel-manifest", "keel-manifest=2\n") < 0, "format 2");
	CHECK(variant("# a", "bundle.version=1\n") < 0, "key before bundle=");
	CHECK(variant("report", "report=x y\n") < 0, "report with a space");
	CHECK(variant("bundle.rollout", "report=https://x/\n") < 0,
	      "report after the bundles");
	CHECK(variant("bundle.rollout", "bundle.rollout=101\n") < 0,
	      "rollout 101");
	CHECK(variant("bundle.rollout", "bundle.version=43\n") < 0,
	      "key twice");
	CHECK(variant("bundle.rollout", "bundle.color=red\n") < 0,
	      "unknown bundle key");
	CHECK(variant("bundle.rollout", "colour=red\n") < 0, "unknown key");
	CHECK(variant("bundle.rollout", "bundle.rollout 5\n") < 0, "no '='");
	CHECK(variant("bundle.rollout", "bundle.rollout=5\r\n") < 0, "CR");
	CHECK(variant("bundle.epoch=3", "") < 0, "entry without epoch");
	CHECK(variant("bundle.size=1", "") < 0, "last entry without size");
	CHECK(variant("bundle.version=42", "bundle.version=042\n") < 0,
	      "leading zero");
	CHECK(variant("bundle.version=42",
		      "bundle.version=9223372036854775808\n") < 0,
	      "version 2^63");
	CHECK(variant("bundle.size=7", "bundle.size=0\n") < 0, "size 0");
	CHECK(variant("bundle.size=7", "bundle.size=4503599627370497\n") < 0,
	      "size over 2^52");
	CHECK(variant("bundle.header_sha256",
		      "bundle.header_sha256=" SHA "0\n") < 0,
	      "65 hex digits");
	CHECK(variant("bundle.header_sha256",
		      "bundle.header_sha256=9F86d081884c7d659a2feaa0c55ad015a3"
		      "bf4f1b2b0b822cd15d6c15b0f00a08\n") < 0,
	      "upper-case hex");
	CHECK(variant("bundle=rpi", "bundle=qemu-x86_64\n") < 0, "board twice");
	CHECK(variant("bundle=rpi", "bundle=\n") < 0, "empty board");
	CHECK(variant("bundle.url=app", "bundle.url=\n") < 0, "empty url");
	CHECK(parse("keel-manifest=1") < 0, "no final newline");
	CHECK(parse("") < 0, "empty");
	CHECK(parse("keel-manifest=1\nx\0y=1\n") < 0 ||
		  parse("keel-manifest=1\nbundle=a\x01\n") < 0,
	      "control byte");
	{
		static char big[MANIFEST_MAX + 64];
		size_t n =
		    (size_t)snprintf(big, sizeof(big), "keel-manifest=1\n");
		while (n <= MANIFEST_MAX)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "#\n");
		CHECK(manifest_parse(big, n, &m, NULL) < 0, "too long");
	}
	{
		static char many[MANIFEST_MAX];
		size_t n =
		    (size_t)snprintf(many, sizeof(many), "keel-manifest=1\n");
		for (int i = 0; i <= MANIFEST_ENTRIES; i++)
			n += (size_t)snprintf(
			    many + n, sizeof(many) - n,
			    "bundle=b%d\nbundle.version=1\nbundle.epoch=1\n"
			    "bundle.size=1\nbundle.url=u\n"
			    "bundle.header_sha256=" SHA "\n",
			    i);
		CHECK(manifest_parse(many, n, &m, NULL) < 0,
		      "too many entries");
	}
}

static void
test_bucket(void)
{
	unsigned in = 0, same = 1, moved = 0;
	char id[40];

	for (int i = 0; i < 10000; i++) {
		unsigned b;

		snprintf(id, sizeof(id), "%032x", i * 2654435761u);
		b = manifest_bucket(id, 5);
		in += b < 25;
		same &= b == manifest_bucket(id, 5);
		moved += b != manifest_bucket(id, 6);
		if (b > 99)
			same = 0;
	}
	CHECK(same, "bucket stable and below 100");
	CHECK(in > 2300 && in < 2700, "25%% rollout takes %u of 10000", in);
	CHECK(moved > 9000, "another version reorders the devices (%u)", moved);
}

int
main(void)
{
	test_parse();
	test_bucket();
	return unit_done("manifest");
}
