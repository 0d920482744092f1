// SPDX-License-Identifier: GPL-2.0
/*
 * What the grammar understands, not only what it accepts: each line is
 * parsed (ipvsctl's words, or ipvsadm-save's when it starts with '-') and
 * printed back with grammar_print(), the printer "ipvsctl save" uses; the
 * text must be the expected canonical line. A refused line must be
 * refused with a message that says what to write. test_cmdline only sees
 * exit codes: a parser that read "weight 010" as 8 or dropped a flag
 * passes there, not here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/grammar.h"
#include "ktap.h"

/*
 * Over-long words whose first 127 (flags, the ipvsadm service address) or
 * 31 (status) characters are valid: cut, they would be accepted.
 */
#define SP15 "sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port," \
	     "sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,"
#define Z16 "0000000000000000"
#define LONG_FLAGS SP15 "flag-3,bogus"
#define LONG_PORT "10.0.0.1:" Z16 Z16 Z16 Z16 Z16 Z16 Z16 "80x"
#define LONG_STATUS "200-" Z16 "00000000" "299x"

#define MEANS(line, printed)	{ (line), (printed), NULL }
#define REFUSED(line, message)	{ (line), NULL, (message) }

static const struct {
	const char *line;
	const char *want;	/* grammar_print()'s line, or NULL: refused */
	const char *why;	/* refused: a part of the message */
} cases[] = {
	/* services */
	MEANS("service add tcp/10.0.0.1:80", "service add tcp/10.0.0.1:80"),
	MEANS("service add tcp/10.0.0.1:80 scheduler rr flags flag-1,flag-3",
		"service add tcp/10.0.0.1:80 scheduler rr flags flag-1,flag-3"),
	MEANS("service add tcp/10.0.0.1:80 scheduler mh flags flag-3",
		"service add tcp/10.0.0.1:80 scheduler mh flags flag-3"),
	MEANS("service add udp/[2001:db8::1]:53 scheduler sh flags sh-port,sh-fallback ops on",
		"service add udp/[2001:db8::1]:53 scheduler sh flags flag-1,flag-2 ops on"),
	MEANS("service add fwmark/1 persistent 300 netmask 255.255.255.0",
		"service add fwmark/1 persistent 300 netmask 255.255.255.0"),
	REFUSED("service add tcp/10.0.0.1:80 flags flag-4", "flags 'flag-4'"),
	/* backends */
	MEANS("backend add tcp/10.0.0.1:80 10.0.1.1:8080 weight 7 method nat upper 100 lower 10",
		"backend add tcp/10.0.0.1:80 10.0.1.1:8080 method nat weight 7 upper 100 lower 10"),
	MEANS("backend edit tcp/10.0.0.1:80 10.0.1.1:80 weight 2147483647",
		"backend edit tcp/10.0.0.1:80 10.0.1.1:80 weight 2147483647"),
	REFUSED("backend add tcp/10.0.0.1:80 10.0.1.1:80 weight 2147483648",
		"weight '2147483648': a number from 0 to 2147483647"),
	/* maglev parameters and durations */
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 20s",
		"maglev set tcp/10.0.0.1:80 slow-start 20s"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 1500ms slow-start-aggression 0.25",
		"maglev set tcp/10.0.0.1:80 slow-start 1500ms slow-start-aggression 0.25"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 2m", "maglev set tcp/10.0.0.1:80 slow-start 120s"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start off", "maglev set tcp/10.0.0.1:80 slow-start off"),
	REFUSED("maglev set tcp/10.0.0.1:80 slow-start 2h", "slow-start '2h'"),
	/* a unit is required, but for 0 (review C19) */
	REFUSED("maglev set tcp/10.0.0.1:80 slow-start 20",
		"slow-start '20': a duration with its unit, like 500ms, 20s, 5m"),
	REFUSED("service add tcp/10.0.0.1:80 slow-start 30",
		"slow-start '30': a duration with its unit, like 500ms, 20s, 5m"),
	REFUSED("maglev set tcp/10.0.0.1:80 slow-start 1.5s", "a duration with its unit"),
	REFUSED("maglev set tcp/10.0.0.1:80 slow-start 20sec", "a duration with its unit"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 0", "maglev set tcp/10.0.0.1:80 slow-start off"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 0s", "maglev set tcp/10.0.0.1:80 slow-start off"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 020s",
		"maglev set tcp/10.0.0.1:80 slow-start 20s"),
	MEANS("maglev set tcp/10.0.0.1:80 slow-start 1h",
		"maglev set tcp/10.0.0.1:80 slow-start 3600s"),
	REFUSED("health tcp/10.0.0.1:80 type tcp interval 500 timeout 200ms",
		"health interval '500': a duration with its unit, like 500ms, 20s, 5m"),
	REFUSED("health tcp/10.0.0.1:80 type tcp interval 2s timeout 300",
		"health timeout '300': a duration with its unit, like 500ms, 20s, 5m"),
	MEANS("health tcp/10.0.0.1:80 type tcp interval 500ms timeout 0200ms jitter 0",
		"health tcp/10.0.0.1:80 type tcp interval 500ms timeout 200ms rise 2 fall 3 "
		"initial up jitter 0 on-fail quiesce"),
	/* health checks */
	MEANS("health tcp/10.0.0.1:80 type http path /healthz host www.example.com interval 2s timeout 1s",
		"health tcp/10.0.0.1:80 type http path \"/healthz\" host \"www.example.com\" status 200-399 "
		"interval 2s timeout 1s rise 2 fall 3 initial up jitter 10 on-fail quiesce"),
	/* numbers are decimal, as ipvsadm reads them (review C18) */
	MEANS("backend add tcp/10.0.0.1:80 10.0.1.1:080 weight 010",
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 weight 10"),
	MEANS("service add tcp/10.0.0.1:080", "service add tcp/10.0.0.1:80"),
	MEANS("service add udp/[2001:db8::1]:0053", "service add udp/[2001:db8::1]:53"),
	MEANS("sync start master ifname eth0 syncid 010 port 08848 ttl 010",
		"sync start master ifname eth0 syncid 10 port 8848 ttl 10"),
	MEANS("service add tcp/10.0.0.1:80 persistent 0300 netmask 024",
		"service add tcp/10.0.0.1:80 persistent 300 netmask 255.255.255.0"),
	REFUSED("backend add tcp/10.0.0.1:80 10.0.1.1 weight 0x10", "weight '0x10'"),
	REFUSED("service add tcp/10.0.0.1:0x50", "port must be a number"),
	REFUSED("backend add tcp/10.0.0.1:80 10.0.1.1 weight \" 5\"", "weight ' 5'"),
	REFUSED("backend add tcp/10.0.0.1:80 10.0.1.1 weight +5", "weight '+5'"),
	REFUSED("service add tcp/10.0.0.1:80 table-size \"\t4093\"", "table-size"),
	/* ... but for firewall marks, where 0x is idiomatic */
	MEANS("service add fwmark/0x10", "service add fwmark/16"),
	MEANS("service add fwmark6/0XfF", "service add fwmark6/255"),
	MEANS("service add fwmark/010", "service add fwmark/10"),
	MEANS("service add fwmark/0xffffffff", "service add fwmark/4294967295"),
	MEANS("-A -f 0x10 -s rr", "service add fwmark/16 scheduler rr"),
	REFUSED("service add fwmark/0x", "decimal, or hex as 0x10"),
	REFUSED("service add fwmark/0x1g", "decimal, or hex as 0x10"),
	REFUSED("service add fwmark/0x100000000", "decimal, or hex as 0x10"),
	REFUSED("service add fwmark/0x0x5", "decimal, or hex as 0x10"),
	REFUSED("service add fwmark/-1", "decimal, or hex as 0x10"),
	REFUSED("-A -f \" 7\" -s rr", "-f ' 7'"),
	/* the HTTP host and path go into the probe's URL (review C15) */
	MEANS("health tcp/10.0.0.1:80 type https path \"/healthz?full=1\" host 10.0.9.9 interval 2s",
		"health tcp/10.0.0.1:80 type https path \"/healthz?full=1\" host \"10.0.9.9\" "
		"status 200-399 interval 2s timeout 1s rise 2 fall 3 initial up jitter 10 on-fail quiesce"),
	MEANS("health tcp/10.0.0.1:80 type http host [2001:db8::9] interval 2s",
		"health tcp/10.0.0.1:80 type http path \"/\" host \"[2001:db8::9]\" status 200-399 "
		"interval 2s timeout 1s rise 2 fall 3 initial up jitter 10 on-fail quiesce"),
	REFUSED("health tcp/10.0.0.1:80 type http host a/b?", "health host 'a/b?': a DNS name"),
	REFUSED("health tcp/10.0.0.1:80 type http host x@10.0.0.9", "health host 'x@10.0.0.9'"),
	REFUSED("health tcp/10.0.0.1:80 type http host www.example.com:8080", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http host 2001:db8::9", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http host [www.example.com]", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http host \"a b\"", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http host \"\"", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http host 1234", "health host"),
	REFUSED("health tcp/10.0.0.1:80 type http path healthz", "health path 'healthz'"),
	REFUSED("health tcp/10.0.0.1:80 type http path \"/a b\"",
		"without blanks or control characters"),
	REFUSED("health tcp/10.0.0.1:80 type http path \"/a\tb\"", "health path"),
	REFUSED("health tcp/10.0.0.1:80 type http path \"/a\rHost: evil\"", "health path"),
	REFUSED("health tcp/10.0.0.1:80 type http path \"/a\x7f\"", "health path"),
	/* over-long words are refused, never cut */
	MEANS("service add tcp/10.0.0.1:80 flags " SP15 "flag-3",
		"service add tcp/10.0.0.1:80 flags flag-2,flag-3"),
	REFUSED("service add tcp/10.0.0.1:80 flags " LONG_FLAGS, "too long, at most 127 characters"),
	REFUSED("-A -t 10.0.0.1:80 -s rr -b " LONG_FLAGS, "too long, at most 127 characters"),
	REFUSED("-A -t " LONG_PORT " -s rr", "too long for a service address"),
	REFUSED("health tcp/10.0.0.1:80 type http status " LONG_STATUS, "health status"),
	/* ipvsadm-save lines */
	MEANS("-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0",
		"service add tcp/10.0.0.1:80 scheduler wrr persistent 300 netmask 255.255.255.0"),
	MEANS("-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 5",
		"backend add tcp/10.0.0.1:80 10.0.1.1:8080 method nat weight 5"),
	MEANS("-A -f 7 -s rr -b flag-3", "service add fwmark/7 scheduler rr flags flag-3"),
};

/* parse @line as the tool reads a file line; 0 and the printed op in
 * @out, or -EINVAL and the message
 */
static int parse_print(const char *line, char *out, size_t len)
{
	char copy[4096], why[512], *w[GRAMMAR_MAX_WORDS], *text = NULL;
	size_t size = 0;
	struct op op;
	FILE *f;
	int n, err;

	snprintf(copy, sizeof(copy), "%s", line);
	n = split_words(copy, w, GRAMMAR_MAX_WORDS);
	if (n < 0) {
		snprintf(out, len, "split_words: %d", n);
		return -EINVAL;
	}
	err = (n && w[0][0] == '-' ? grammar_parse_ipvsadm : grammar_parse)(n, w, &op, why,
									      sizeof(why));
	if (err) {
		snprintf(out, len, "%s", why);
		return err;
	}
	f = open_memstream(&text, &size);
	if (!f) {
		op_release(&op);
		snprintf(out, len, "open_memstream failed");
		return -ENOMEM;
	}
	grammar_print(f, &op);
	fclose(f);
	op_release(&op);
	if (size && text[size - 1] == '\n')
		text[size - 1] = 0;
	snprintf(out, len, "%s", text);
	free(text);
	return 0;
}

int main(void)
{
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	char got[2048];
	int err;

	ktap_plan((unsigned int)n);
	for (i = 0; i < n; i++) {
		err = parse_print(cases[i].line, got, sizeof(got));
		if (cases[i].want) {
			if (!ktap_ok(!err && !strcmp(got, cases[i].want), "'%s' means '%s'",
				     cases[i].line, cases[i].want))
				ktap_diag("got %s: '%s'", err ? "a refusal" : "the line", got);
		} else {
			if (!ktap_ok(err && strstr(got, cases[i].why), "'%s' is refused: '%s'",
				     cases[i].line, cases[i].why))
				ktap_diag("got %s: '%s'", err ? "the message" : "the line", got);
		}
	}
	return ktap_finish();
}
