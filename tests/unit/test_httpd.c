/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/httpd over real loopback sockets (port chosen by the kernel): what the
 * forwarder receives from the agent listener (filled-in timestamp and
 * sketch_count, headers, content types), its refusal mapped to 503/500, and
 * the control listener's content negotiation and health codes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cf_httpd.h"
#include "cf_metrics.h"
#include "cf_test.h"

#define AUTH "Authorization: Bearer unit\r\n"

struct fake_fwd {
	int rc;                /* what submit returns */
	int calls;
	char path[64];
	char ctype[64];
	char body[4096];
	size_t len;
	char headers[256];     /* "name=value;" ... */
};

static int
fake_submit(void *ctx, const char *path, const void *body, size_t len, const char *ctype,
	    const char *const *headers)
{
	struct fake_fwd *f = ctx;
	size_t i;

	f->calls++;
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->ctype, sizeof(f->ctype), "%s", ctype);
	f->len = len < sizeof(f->body) - 1 ? len : sizeof(f->body) - 1;
	memcpy(f->body, body, f->len);
	f->body[f->len] = '\0';
	f->headers[0] = '\0';
	for (i = 0; headers[i] != NULL; i += 2) {
		size_t l = strlen(f->headers);

		snprintf(f->headers + l, sizeof(f->headers) - l, "%s=%s;", headers[i], headers[i + 1]);
	}
	return f->rc;
}

/* One HTTP/1.0 exchange; returns the status and copies the body into out. */
static int
http(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
     char *out, size_t outlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[8192], resp[65536];
	size_t got = 0;
	ssize_t n;
	int fd, status = -1;
	char *p;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n%sContent-Length: %zu\r\n\r\n%s",
		 method, path, headers, body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	p = strstr(resp, "\r\n\r\n");
	snprintf(out, outlen, "%s", p ? p + 4 : "");
	return status;
}

static struct cf_httpd_server *
agent(struct fake_fwd *f, const char *token)
{
	static struct cf_httpd_forwarder fwd;
	struct cf_httpd_config c = {
		.role = CF_HTTPD_AGENT, .bind = "127.0.0.1", .port = 0, .max_body = 4096, .token = token,
		.fwd = &fwd,
	};
	char err[256];
	int bad;
	struct cf_httpd_server *s;

	fwd.submit = fake_submit;
	fwd.ctx = f;
	s = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(cf_httpd_port(s) != 0);
	return s;
}

static void
test_json_forwarded_filled_in(void)
{
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_server *s = agent(&f, "unit");
	char out[4096];
	cJSON *j, *sent;
	time_t before = time(NULL);
	int st;

	st = http(cf_httpd_port(s), "POST", "/api/edge/sketches", AUTH,
		  "{\"switch_id\":\"sw9\",\"sketches\":[{\"k\":1},{\"k\":2}],\"extra\":\"kept\"}",
		  out, sizeof(out));
	CU_ASSERT_EQUAL(st, 202);
	j = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(j, "forwarded")));
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "sketches_received")->valueint, 2);
	cJSON_Delete(j);

	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT_STRING_EQUAL(f.path, "/api/edge/sketches");
	CU_ASSERT_STRING_EQUAL(f.ctype, "application/json");
	sent = cJSON_Parse(f.body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sent, "switch_id")->valuestring, "sw9");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sent, "extra")->valuestring, "kept");
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(sent, "sketch_count")->valueint, 2);
	CU_ASSERT(cJSON_GetObjectItem(sent, "timestamp")->valuedouble >= (double)before);
	CU_ASSERT(cJSON_GetObjectItem(sent, "timestamp")->valuedouble <= (double)time(NULL));
	cJSON_Delete(sent);

	/* Given values are kept as sent. */
	st = http(cf_httpd_port(s), "POST", "/api/edge/sketches", AUTH,
		  "{\"switch_id\":\"a\",\"sketches\":[1],\"timestamp\":123,\"sketch_count\":7}",
		  out, sizeof(out));
	CU_ASSERT_EQUAL(st, 202);
	sent = cJSON_Parse(f.body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(sent, "timestamp")->valueint, 123);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(sent, "sketch_count")->valueint, 7);
	cJSON_Delete(sent);
	cf_httpd_stop(s);
}

static void
test_binary_headers(void)
{
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_server *s = agent(&f, "tok");
	char out[4096];

	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches/binary",
			     "X-Switch-ID: sw1\r\nX-Sketch-Count: 4\r\n", "BINARY", out,
			     sizeof(out)),
			401);
	CU_ASSERT_EQUAL(f.calls, 0);
	CU_ASSERT_EQUAL(
		http(cf_httpd_port(s), "POST", "/api/edge/sketches/binary",
		     "Authorization: Bearer tok\r\nX-Switch-ID: sw1\r\nX-Sketch-Count: 4\r\n",
		     "BINARY", out, sizeof(out)),
		202);
	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT_STRING_EQUAL(f.path, "/api/edge/sketches/binary");
	CU_ASSERT_STRING_EQUAL(f.ctype, "application/octet-stream");
	CU_ASSERT_STRING_EQUAL(f.body, "BINARY");
	CU_ASSERT_STRING_EQUAL(f.headers, "X-Switch-ID=sw1;X-Sketch-Count=4;");
	cf_httpd_stop(s);
}

static void
test_forwarder_refuses(void)
{
	struct fake_fwd f = { .rc = -EAGAIN };
	struct cf_httpd_server *s = agent(&f, "unit");
	const char *good = "{\"switch_id\":\"x\",\"sketches\":[1]}";
	char out[4096];

	CU_ASSERT_EQUAL(
		http(cf_httpd_port(s), "POST", "/api/edge/sketches", AUTH, good, out, sizeof(out)),
		503);
	f.rc = -EIO;
	CU_ASSERT_EQUAL(
		http(cf_httpd_port(s), "POST", "/api/edge/sketches", AUTH, good, out, sizeof(out)),
		500);
	/* Invalid input never reaches the forwarder. */
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches", AUTH,
			     "{\"sketches\":[1]}", out, sizeof(out)),
			400);
	CU_ASSERT_EQUAL(f.calls, 2);
	cf_httpd_stop(s);
}

/* A forwarder and no token: nothing is forwarded with the collector's backend token. */
static void
test_no_token_refuses(void)
{
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_server *s = agent(&f, "");
	char out[4096];

	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches", "",
			     "{\"switch_id\":\"x\",\"sketches\":[1]}", out, sizeof(out)),
			403);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches/binary",
			     "X-Switch-ID: sw1\r\n", "B", out, sizeof(out)),
			403);
	CU_ASSERT_EQUAL(f.calls, 0);
	cf_httpd_stop(s);
}

/* Malformed headers and bodies are 400 (never 500), and never reach the forwarder. */
static void
test_malformed_400(void)
{
	static const struct {
		const char *path, *headers, *body;
		int want;
	} rows[] = {
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw\x01x\r\n", "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nX-Sketch-Count: 4294967296\r\n",
		 "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nX-Sketch-Count: 99999999999999999999999\r\n",
		 "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nX-Sketch-Count: 12a\r\n", "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nX-Sketch-Count: -1\r\n", "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nContent-Encoding: gz\x7fip\r\n",
		 "B", 400},
		{"/api/edge/sketches/binary", AUTH "X-Switch-ID: sw1\r\nX-Sketch-Count: 4294967295\r\n",
		 "B", 202},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1]}xyz", 400},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1]}{}", 400},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1]} \r\n", 202},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1],\"sketch_count\":1e30}",
		 400},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1],\"sketch_count\":-2}",
		 400},
		{"/api/edge/sketches", AUTH, "{\"switch_id\":\"a\\u0001b\",\"sketches\":[1]}", 400},
	};
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_server *s = agent(&f, "unit");
	char out[4096], big[600];
	unsigned int i;
	int calls = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int st = http(cf_httpd_port(s), "POST", rows[i].path, rows[i].headers, rows[i].body,
			      out, sizeof(out));

		CU_ASSERT_EQUAL(st, rows[i].want);
		if (st != rows[i].want)
			printf("row %u: %d %s\n", i, st, out);
		calls += rows[i].want == 202;
	}
	/* An X-Switch-ID beyond 256 characters. */
	memcpy(big, AUTH "X-Switch-ID: ", strlen(AUTH "X-Switch-ID: "));
	memset(big + strlen(AUTH "X-Switch-ID: "), 'a', 300);
	strcpy(big + strlen(AUTH "X-Switch-ID: ") + 300, "\r\n");
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches/binary", big, "B", out,
			     sizeof(out)),
			400);
	CU_ASSERT_EQUAL(f.calls, calls);
	cf_httpd_stop(s);
}

/* The pure checker the fuzzer drives: the same verdicts without a connection. */
static void
test_agent_check_pure(void)
{
	struct cf_httpd_agent_in in = { .binary = 0, .body = "{\"switch_id\":\"s\",\"sketches\":[1,2]}",
					.now_s = 42 };
	struct cf_httpd_agent_out out;

	in.len = strlen(in.body);
	CU_ASSERT_EQUAL(cf_httpd_agent_check(&in, &out), 0);
	CU_ASSERT_STRING_EQUAL(out.switch_id, "s");
	CU_ASSERT_EQUAL(out.sketches, 2);
	CU_ASSERT(strstr(out.body, "\"timestamp\":42") != NULL);
	cf_httpd_agent_out_free(&out);
	in.len -= 1; /* cut the closing brace */
	CU_ASSERT_EQUAL(cf_httpd_agent_check(&in, &out), 400);
	CU_ASSERT_PTR_NULL(out.body);
	in.binary = 1;
	in.switch_id = "sw";
	in.sketch_count = "";
	CU_ASSERT_EQUAL(cf_httpd_agent_check(&in, &out), 400);
	in.sketch_count = "0007";
	CU_ASSERT_EQUAL(cf_httpd_agent_check(&in, &out), 0);
	CU_ASSERT_EQUAL(out.sketches, 7);
	CU_ASSERT_EQUAL(out.owned, 0);
}

/* A connection to port from the loopback address src (127.0.0.x), or -1. */
static int
connect_from(uint16_t port, const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in b = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, src, &b.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&b, sizeof(b)) != 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* 1 when the server closed fd within ms milliseconds (reads until EOF or error). */
static int
closed_within(int fd, int ms)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	char buf[512];
	int waited;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (waited = 0; waited < ms; waited += 100) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
	}
	return 0;
}

static uint64_t
metric(const char *series)
{
	struct cf_metrics_builder *b = cf_metrics_builder_new();
	size_t len;
	char *txt, *p;
	uint64_t v = UINT64_MAX;

	cf_metrics_collect(b);
	txt = cf_metrics_render_prometheus(b, &len);
	cf_metrics_builder_free(b);
	p = txt ? strstr(txt, series) : NULL;
	if (p != NULL)
		v = strtoull(p + strlen(series), NULL, 10);
	free(txt);
	return v;
}

/*
 * A trickle of header bytes does not keep a request alive past its deadline;
 * a client gets at most max_conn_per_client connections; request bodies in
 * flight stay within their budget (503). Each refusal is counted.
 */
static void
test_listener_bounds(void)
{
	static struct cf_httpd_forwarder fwd = { .submit = fake_submit };
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_config c = {
		.role = CF_HTTPD_AGENT, .bind = "127.0.0.1", .port = 0, .max_body = 40000,
		.token = "unit", .fwd = &fwd, .max_conn_per_client = 4, .request_timeout_s = 1,
		.body_budget = 65536,
	};
	char err[256], out[4096], req[512];
	struct cf_httpd_server *s;
	int bad, fd[5], i, st;
	uint16_t port;

	fwd.ctx = &f;
	s = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	port = cf_httpd_port(s);

	/* Deadline: one header byte every 300 ms would keep an idle timeout happy forever. */
	fd[0] = connect_from(port, "127.0.0.5");
	CU_ASSERT_FATAL(fd[0] >= 0);
	CU_ASSERT(write(fd[0], "POST /api/edge/sketches HTTP/1.1\r\nHost: x\r\nX-A: ", 48) == 48);
	for (i = 0; i < 8; i++) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 300000000 };

		if (send(fd[0], "a", 1, MSG_NOSIGNAL) != 1)
			break; /* closed under us: that is the point */
		nanosleep(&ts, NULL);
	}
	CU_ASSERT(i < 8 || closed_within(fd[0], 1500));
	close(fd[0]);
	CU_ASSERT_EQUAL(
		metric("clarion_flowd_http_refused_total{listener=\"agent\",reason=\"request_deadline\"} "),
		1);

	/* Four connections from one address; the fifth is closed at once; another address is fine. */
	for (i = 0; i < 4; i++) {
		fd[i] = connect_from(port, "127.0.0.6");
		CU_ASSERT(fd[i] >= 0);
	}
	{
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 200000000 };

		nanosleep(&ts, NULL); /* let the server see all four */
	}
	fd[4] = connect_from(port, "127.0.0.6");
	CU_ASSERT(fd[4] < 0 || closed_within(fd[4], 1000));
	if (fd[4] >= 0)
		close(fd[4]);
	CU_ASSERT_EQUAL(http(port, "POST", "/api/edge/sketches", AUTH,
			     "{\"switch_id\":\"x\",\"sketches\":[1]}", out, sizeof(out)),
			202);
	for (i = 0; i < 4; i++)
		close(fd[i]);
	CU_ASSERT(metric("clarion_flowd_http_refused_total{listener=\"agent\",reason=\"per_client_limit\"} ") >= 1);

	/* Two bodies of 30000 bytes in flight hold the 64 KiB budget: a third is 503. */
	for (i = 0; i < 2; i++) {
		static char body[30000];

		memset(body, 'x', sizeof(body));
		fd[i] = connect_from(port, "127.0.0.7");
		CU_ASSERT_FATAL(fd[i] >= 0);
		snprintf(req, sizeof(req), "POST /api/edge/sketches HTTP/1.0\r\nHost: x\r\n" AUTH
			 "Content-Length: 40000\r\n\r\n");
		CU_ASSERT(send(fd[i], req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
		CU_ASSERT(send(fd[i], body, sizeof(body), MSG_NOSIGNAL) == (ssize_t)sizeof(body));
	}
	{
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 200000000 };

		nanosleep(&ts, NULL);
	}
	st = http(port, "POST", "/api/edge/sketches", AUTH, "{\"switch_id\":\"x\",\"sketches\":[1]}",
		  out, sizeof(out));
	CU_ASSERT_EQUAL(st, 503);
	CU_ASSERT_EQUAL(
		metric("clarion_flowd_http_refused_total{listener=\"agent\",reason=\"body_budget\"} "), 1);
	close(fd[0]);
	close(fd[1]);
	cf_httpd_stop(s);
}

static void
unhealthy_check(struct cf_metrics_health *h, void *ctx)
{
	if (*(int *)ctx)
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "test", "forced");
}

static void
summary_provider(struct cf_metrics_builder *b, void *ctx)
{
	(void)ctx;
	cf_metrics_family(b, "t_total", "t", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, 5);
	cf_metrics_summary_set(b, "total_received", 5);
}

static void
test_control_negotiation(void)
{
	struct cf_httpd_config c = {
		.role = CF_HTTPD_CONTROL, .bind = "127.0.0.1", .port = 0, .service = "svc",
		.version = "1", .backend_url = "", .batch_size = 11, .batch_interval_s = 3,
	};
	char err[256], out[65536];
	struct cf_httpd_server *s;
	int bad, sick = 0;
	cJSON *j;

	CU_ASSERT_EQUAL(cf_metrics_register("t", summary_provider, NULL), 0);
	CU_ASSERT_EQUAL(cf_metrics_health_register("t", unhealthy_check, &sick), 0);
	s = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/metrics", "Accept: */*\r\n", NULL, out,
			     sizeof(out)),
			200);
	j = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "total_received")->valueint, 5);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "total_sent")->valueint, 0);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "batch_size")->valueint, 11);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "batch_interval_seconds")->valueint, 3);
	cJSON_Delete(j);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/metrics",
			     "Accept: text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n", NULL, out,
			     sizeof(out)),
			200);
	CU_ASSERT(strstr(out, "# TYPE t_total counter\nt_total 5\n") != NULL);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/health", "", NULL, out, sizeof(out)), 200);
	sick = 1;
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/health", "", NULL, out, sizeof(out)), 503);
	CU_ASSERT(strstr(out, "\"status\":\"unhealthy\"") != NULL);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "PUT", "/health", "", "x", out, sizeof(out)), 405);
	cf_httpd_stop(s);
	CU_ASSERT_EQUAL(cf_metrics_unregister("t"), 0);
}

static void
test_port_taken(void)
{
	struct fake_fwd f = { .rc = 0 };
	struct cf_httpd_server *a = agent(&f, "unit"), *b;
	struct cf_httpd_config c = { .role = CF_HTTPD_CONTROL, .bind = "127.0.0.1", .port = cf_httpd_port(a) };
	char err[256];
	int bad = -1;

	b = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(bad, 0);
	c.bind = "not-an-address";
	c.port = 0;
	CU_ASSERT_PTR_NULL(cf_httpd_start(&c, &bad, err, sizeof(err)));
	CU_ASSERT_EQUAL(bad, 1);
	cf_httpd_stop(a);
}

static char *
page(void *arg, const char *query, size_t *len)
{
	char *body = malloc(128);

	(*(int *)arg)++;
	snprintf(body, 128, "{\"exporter\":\"%s\"}", query ? query : "all");
	*len = strlen(body);
	return body;
}

/* GET /templates: the configured page, with ?exporter=; absent page: 404; other methods: 405. */
static void
test_templates_route(void)
{
	int calls = 0, bad;
	struct cf_httpd_page pg = { .render = page, .arg = &calls };
	struct cf_httpd_config c = {
		.role = CF_HTTPD_CONTROL, .bind = "127.0.0.1", .port = 0, .service = "svc",
		.version = "1", .backend_url = "", .templates = &pg,
	};
	char err[256], out[4096];
	struct cf_httpd_server *s;

	s = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/templates", "", NULL, out, sizeof(out)),
			200);
	CU_ASSERT_STRING_EQUAL(out, "{\"exporter\":\"all\"}");
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/templates?exporter=192.0.2.7", "", NULL,
			     out, sizeof(out)),
			200);
	CU_ASSERT_STRING_EQUAL(out, "{\"exporter\":\"192.0.2.7\"}");
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/templates", "", "x", out, sizeof(out)),
			405);
	CU_ASSERT_EQUAL(calls, 2);
	cf_httpd_stop(s);
	c.templates = NULL;
	s = cf_httpd_start(&c, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "GET", "/templates", "", NULL, out, sizeof(out)),
			404);
	cf_httpd_stop(s);
}

static const struct cft_case cases[] = {
	{"json_forwarded_filled_in", test_json_forwarded_filled_in},
	{"binary_headers", test_binary_headers},
	{"forwarder_refuses", test_forwarder_refuses},
	{"no_token_refuses", test_no_token_refuses},
	{"malformed_400", test_malformed_400},
	{"agent_check_pure", test_agent_check_pure},
	{"listener_bounds", test_listener_bounds},
	{"control_negotiation", test_control_negotiation},
	{"port_taken", test_port_taken},
	{"templates_route", test_templates_route},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("httpd", cases);
}
