// SPDX-License-Identifier: MIT
/* network.conf and addresses: every key, the defaults, strict refusals. */
#include "lib/net/netconf.h"
#include "tests/unit/unit.h"

static struct netconf c;
static struct kerr e;

static int
parse(const char *text)
{
	memset(&e, 0, sizeof(e));
	return netconf_parse(text, strlen(text), &c, &e);
}

static void
refused(const char *text, const char *want)
{
	int rc = parse(text);

	CHECK(rc == -1, "accepted: %s", text);
	CHECK(rc == 0 || strstr(e.detail, want), "'%s': detail '%s' lacks '%s'",
	      text, e.detail, want);
	CHECK(rc == 0 || (c.nif == 0 && c.ndns == 0 && c.nntp == 0),
	      "'%s': a refused file left settings", text);
}

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	CHECK(netaddr_parse(s, strlen(s), &a) == 0, "address %s", s);
	return a;
}

static void
test_addresses(void)
{
	static const char *const bad[] = {
	    "",		"1.2.3",    "1.2.3.4.5", "256.1.1.1",
	    "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",	 "1..3.4",
	    "1.2.3.-4", "1.2.3.4/", "a.b.c.d",	 "1.2.3.1000"};
	char txt[NETADDR_TEXT];
	uint32_t a;

	a = ip("10.0.2.15");
	CHECK(((const uint8_t *)&a)[0] == 10 && ((const uint8_t *)&a)[3] == 15,
	      "network order");
	netaddr_format(a, txt);
	CHECK(!strcmp(txt, "10.0.2.15"), "format %s", txt);
	netaddr_format(ip("255.255.255.255"), txt);
	CHECK(!strcmp(txt, "255.255.255.255"), "format %s", txt);
	ip("0.0.0.0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(netaddr_parse(bad[i], strlen(bad[i]), &a) < 0,
		      "accepted '%s'", bad[i]);
	for (unsigned p = 0; p <= 32; p++)
		CHECK(netaddr_prefix(netaddr_mask(p)) == (int)p, "prefix %u",
		      p);
	CHECK(netaddr_mask(24) == ip("255.255.255.0"), "mask /24");
	CHECK(netaddr_prefix(ip("255.0.255.0")) == -1, "holey mask");
	CHECK(netaddr_host_ok(ip("10.0.2.15"), 24), "host");
	CHECK(!netaddr_host_ok(ip("10.0.2.0"), 24), "network address");
	CHECK(!netaddr_host_ok(ip("10.0.2.255"), 24), "broadcast address");
	CHECK(netaddr_host_ok(ip("10.0.2.255"), 16), "not broadcast in /16");
	CHECK(netaddr_host_ok(ip("10.0.2.0"), 31), "/31 has no network");
	CHECK(!netaddr_host_ok(ip("127.0.0.1"), 8), "loopback");
	CHECK(!netaddr_host_ok(ip("0.1.2.3"), 8), "0/8");
	CHECK(!netaddr_host_ok(ip("224.0.0.1"), 32), "multicast");
	CHECK(!netaddr_host_ok(ip("255.255.255.255"), 32), "broadcast");
	CHECK(netaddr_name_ok("a", 1), "one letter");
	CHECK(netaddr_name_ok("x-1.example.com", 15), "name");
	CHECK(!netaddr_name_ok("-a.com", 6), "leading hyphen");
	CHECK(!netaddr_name_ok("a-.com", 6), "trailing hyphen");
	CHECK(!netaddr_name_ok("a..com", 6), "empty label");
	CHECK(!netaddr_name_ok("a.com.", 6), "trailing dot");
	CHECK(!netaddr_name_ok("a_b", 3), "underscore");
	CHECK(!netaddr_name_ok("a b", 3), "space");
	CHECK(!netaddr_name_ok("a\nb", 3), "newline");
}

static void
test_long_names(void)
{
	char n[300];

	memset(n, 'a', 64);
	CHECK(!netaddr_name_ok(n, 64), "64-byte label");
	CHECK(netaddr_name_ok(n, 63), "63-byte label");
	for (int i = 0; i < 300; i++)
		n[i] = i % 2 ? '.' : 'a';
	CHECK(netaddr_name_ok(n, 253), "253 bytes");
	CHECK(!netaddr_name_ok(n, 255), "255 bytes");
}

static void
test_full(void)
{
	static const char text[] = "# the device's network\n"
				   "\n"
				   "if.eth0=dhcp\n"
				   "if.eth1=static 192.168.7.2/24 192.168.7.1\n"
				   "if.wlan0=off\n"
				   "if.usb0=static 10.9.0.1/30\n"
				   "dns=1.1.1.1 9.9.9.9\n"
				   "search=example.com lan\n"
				   "hostname=device-7\n"
				   "ntp=10.0.2.2:12300 pool.ntp.org\n";

	CHECK(parse(text) == 0, "full: %s", e.detail);
	CHECK(c.nif == 4, "interfaces %u", c.nif);
	CHECK(!strcmp(c.ifs[0].name, "eth0") && c.ifs[0].mode == NETCONF_DHCP,
	      "eth0");
	CHECK(c.ifs[1].mode == NETCONF_STATIC &&
		  c.ifs[1].addr == ip("192.168.7.2") && c.ifs[1].prefix == 24 &&
		  c.ifs[1].gw == ip("192.168.7.1"),
	      "eth1");
	CHECK(c.ifs[2].mode == NETCONF_OFF, "wlan0");
	CHECK(c.ifs[3].gw == 0 && c.ifs[3].prefix == 30, "usb0");
	CHECK(c.ndns == 2 && c.dns[1] == ip("9.9.9.9"), "dns");
	CHECK(c.nsearch == 2 && !strcmp(c.search[1], "lan"), "search");
	CHECK(!strcmp(c.hostname, "device-7"), "hostname");
	CHECK(c.nntp == 2 && !strcmp(c.ntp[0].host, "10.0.2.2") &&
		  c.ntp[0].port == 12300,
	      "ntp 0");
	CHECK(!strcmp(c.ntp[1].host, "pool.ntp.org") && c.ntp[1].port == 123,
	      "ntp 1");
	CHECK(parse("") == 0 && c.nif == 0 && c.ndns == 0, "empty file");
	CHECK(parse("dns=10.0.2.3") == 0 && c.ndns == 1, "no final newline");
}

static void
test_refusals(void)
{
	char big[NETCONF_FILE_MAX + 2], line[NETCONF_LINE_MAX + 8];

	refused("foo=1\n", "unknown key");
	refused("dns=1.1.1.1\ndns=1.0.0.1\n", "set twice");
	refused("if.eth0=dhcp\nif.eth0=off\n", "set twice");
	refused("if.eth0=auto\n", "not dhcp, off or static");
	refused("if.eth0=static 10.0.0.1\n", "ADDRESS/PREFIX");
	refused("if.eth0=static 10.0.0.1/33\n", "ADDRESS/PREFIX");
	refused("if.eth0=static 10.0.0.1/0\n", "ADDRESS/PREFIX");
	refused("if.eth0=static 10.0.0.0/24\n", "ADDRESS/PREFIX");
	refused("if.eth0=static 10.0.0.1/024\n", "ADDRESS/PREFIX");
	refused("if.eth0=static  10.0.0.1/24\n", "ADDRESS/PREFIX");
	refused("if.eth0=static 10.0.0.1/24 10.0.0.1\n", "bad gateway");
	refused("if.eth0=static 10.0.0.1/24 x\n", "bad gateway");
	refused("if.eth0=static 10.0.0.1/24 10.0.0.2 \n", "after the gateway");
	refused("if.eth0=static 10.0.0.1/24 10.0.0.2 1\n", "words after");
	refused("if.=dhcp\n", "unknown key");
	refused("if.a/b=dhcp\n", "not an interface name");
	refused("if..=dhcp\n", "not an interface name");
	refused("if.abcdefghijklmnop=dhcp\n", "not an interface name");
	refused("if.a=dhcp\nif.b=dhcp\nif.c=dhcp\nif.d=dhcp\nif.e=dhcp\n",
		"more than 4 interfaces");
	refused("dns=1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4\n", "more than 3");
	refused("dns=\n", "empty");
	refused("dns=1.1.1.1  2.2.2.2\n", "badly spaced");
	refused("dns= 1.1.1.1\n", "badly spaced");
	refused("dns=127.0.0.1\n", "bad entry");
	refused("dns=name.example\n", "bad entry");
	refused("search=a..b\n", "bad entry");
	refused("hostname=a_b\n", "DNS name");
	refused("hostname=\n", "DNS name");
	refused("ntp=10.0.2.2:0\n", "bad entry");
	refused("ntp=10.0.2.2:65536\n", "bad entry");
	refused("ntp=10.0.2.2:\n", "bad entry");
	refused("ntp=-x.org\n", "bad entry");
	refused("dns = 1.1.1.1\n", "unknown key");
	refused("=1\n", "not key=value");
	refused("dns\n", "not key=value");
	refused("dns=1.1.1.1\r\n", "control");
	refused("hostname=caf\xc3\xa9\n", "non-ASCII");
	refused("if.eth0=dhcp\nbroken\n", "line 2");
	memset(line, 'a', sizeof(line));
	memcpy(line, "search=", 7);
	line[NETCONF_LINE_MAX + 1] = '\n';
	line[NETCONF_LINE_MAX + 2] = 0;
	refused(line, "longer than");
	memset(big, '#', sizeof(big));
	big[sizeof(big) - 1] = 0;
	refused(big, "larger than");
}

/* Every prefix of a good file parses or is refused; never more. */
static void
test_prefixes(void)
{
	static const char text[] = "if.eth1=static 192.168.7.2/24 192.168.7.1\n"
				   "dns=1.1.1.1 9.9.9.9\nntp=a.b:9\n";

	for (size_t n = 0; n <= sizeof(text) - 1; n++) {
		int rc = netconf_parse(text, n, &c, &e);
		CHECK(rc == 0 || rc == -1, "prefix %zu", n);
		CHECK(rc == -1 || c.nif <= 1, "prefix %zu", n);
	}
}

int
main(void)
{
	test_addresses();
	test_long_names();
	test_full();
	test_refusals();
	test_prefixes();
	return unit_done("netconf");
}
