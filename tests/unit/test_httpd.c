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
	struct cf_httpd_server *s = agent(&f, NULL);
	char out[4096];
	cJSON *j, *sent;
	time_t before = time(NULL);
	int st;

	st = http(cf_httpd_port(s), "POST", "/api/edge/sketches", "",
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
	st = http(cf_httpd_port(s), "POST", "/api/edge/sketches", "",
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
	struct cf_httpd_server *s = agent(&f, NULL);
	const char *good = "{\"switch_id\":\"x\",\"sketches\":[1]}";
	char out[4096];

	CU_ASSERT_EQUAL(
		http(cf_httpd_port(s), "POST", "/api/edge/sketches", "", good, out, sizeof(out)),
		503);
	f.rc = -EIO;
	CU_ASSERT_EQUAL(
		http(cf_httpd_port(s), "POST", "/api/edge/sketches", "", good, out, sizeof(out)),
		500);
	/* Invalid input never reaches the forwarder. */
	CU_ASSERT_EQUAL(http(cf_httpd_port(s), "POST", "/api/edge/sketches", "",
			     "{\"sketches\":[1]}", out, sizeof(out)),
			400);
	CU_ASSERT_EQUAL(f.calls, 2);
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
	struct cf_httpd_server *a = agent(&f, NULL), *b;
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
