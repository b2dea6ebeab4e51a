/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration reload on the control lcore (cf_reload.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_log.h>

#include "cf_control.h"
#include "cf_ctlplane.h"
#include "cf_log.h"
#include "cf_outputs.h"
#include "cf_reload.h"
#include "cf_rx.h"
#include "cf_startup.h"

static struct cf_config *running;  /* main's: what the collector uses */
static struct cf_config parsed;    /* as parsed, before start-up resolved defaults into it */
static struct cf_config next;      /* the file read again */
static int saved_argc;
static char **saved_argv;
static uint64_t n_ok, n_failed;    /* atomic */

void
cf_reload_init(struct cf_config *run, int argc, char **argv)
{
	running = run;
	parsed = *run;
	saved_argc = argc;
	saved_argv = argv;
}

uint64_t
cf_reload_count(int ok)
{
	return __atomic_load_n(ok ? &n_ok : &n_failed, __ATOMIC_RELAXED);
}

/* What differs, sorted into what is applied now and what waits for a restart. */
struct changes {
	char live[1024];
	char restart[1024];
	unsigned int n_live, n_restart;
	int delivery, rx, log;     /* which parts the live ones touch */
	int url_toggled;           /* backend URL set <-> unset: the output's kind changes */
};

static void
add(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s--%s", n ? ", " : "", name);
}

static void
on_diff(void *arg, const char *name, int live)
{
	struct changes *ch = arg;

	/* With no backend before (or after), these name a different output: restart. */
	if (ch->url_toggled && strncmp(name, "backend-", 8) == 0)
		live = 0;
	if (!live) {
		add(ch->restart, sizeof(ch->restart), name);
		ch->n_restart++;
		return;
	}
	add(ch->live, sizeof(ch->live), name);
	ch->n_live++;
	if (strcmp(name, "log-level") == 0)
		ch->log = 1;
	else if (strncmp(name, "exporter-", 9) == 0 || strstr(name, "sampling") != NULL)
		ch->rx = 1;
	else
		ch->delivery = 1;
}

static int
fail(const char *why, const char *err, char *summary, size_t len)
{
	__atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
	CF_LOG(ERR, "reload (%s): rejected, the running configuration stays: %s\n", why, err);
	if (summary != NULL)
		snprintf(summary, len, "rejected: %s", err);
	return -1;
}

/* The http and kafka sinks' part of c (the engine's copy of these settings). */
static int
apply_delivery(struct cf_control *ctl, const struct cf_config *c, char *err, size_t errlen)
{
	char post[1024] = "", base[1024] = "";
	struct cf_delivery_live l;
	uint64_t interval = c->batch_interval_ms ? c->batch_interval_ms :
						   (uint64_t)c->batch_interval * 1000;
	int had;

	if (c->backend_url[0] != '\0' &&
	    cf_startup_backend_url(c->backend_url, c->backend_path, post, sizeof(post), base,
				   sizeof(base), &had, err, errlen) != 0)
		return -1;
	memset(&l, 0, sizeof(l));
	l.url = post;
	l.base_url = base;
	l.token = c->backend_token;
	l.retry_attempts = c->retry_attempts;
	l.backoff.initial_ms = c->retry_initial_ms;
	l.backoff.max_ms = c->retry_max_ms;
	l.backoff.factor = c->retry_backoff;
	l.breaker_threshold = c->breaker_threshold;
	l.breaker_cooldown_ms = c->breaker_cooldown_ms;
	if (c->backend_url[0] != '\0' &&
	    cf_output_set_live(ctl->out, "http", c->batch_size, interval, &l, err, errlen) != 0)
		return -1;
	/* Kafka batches by --kafka-batch-ms, not --batch-size: only retry and breaker. */
	if (c->kafka_brokers[0] != '\0' &&
	    cf_output_set_live(ctl->out, "kafka", 0, 0, &l, err, errlen) != 0)
		return -1;
	if (c->backend_url[0] != '\0')
		cf_outputs_set_post_url(post);
	return 0;
}

int
cf_reload_config(struct cf_control *ctl, const char *why, char *summary, size_t len)
{
	struct changes ch;
	char err[2048];

	if (running == NULL)
		return fail(why, "no configuration to reload (not started)", summary, len);
	/* The same command line and environment: only the file can have changed. */
	if (cf_config_parse(&next, saved_argc, saved_argv, err, sizeof(err)) != 0)
		return fail(why, err, summary, len);
	memset(&ch, 0, sizeof(ch));
	ch.url_toggled = (parsed.backend_url[0] == '\0') != (next.backend_url[0] == '\0');
	cf_config_diff(&parsed, &next, on_diff, &ch);

	if (ch.rx) {
		/* First, as it is the one step that may have to wait: nothing changed yet. */
		struct cf_rx_live l;
		unsigned int late = 0;

		l.policy = running->policy;
		l.policy.n_allow = next.policy.n_allow;
		memcpy(l.policy.allow, next.policy.allow, sizeof(l.policy.allow));
		l.decode = running->decode;
		l.decode.max_rate = next.decode.max_rate;
		l.decode.sampling_rate = next.decode.sampling_rate;
		l.decode.sampling_override = next.decode.sampling_override;
		l.decode.scale_by_sampling = next.decode.scale_by_sampling;
		if (ch.delivery && next.backend_url[0] != '\0') {
			/* Check the URL before anything is published: all or nothing. */
			char post[1024], base[1024];
			int had;

			if (cf_startup_backend_url(next.backend_url, next.backend_path, post,
						   sizeof(post), base, sizeof(base), &had, err,
						   sizeof(err)) != 0)
				return fail(why, err, summary, len);
		}
		if (cf_rx_live_publish(ctl->rx, ctl->n_rx, &l, 1000, &late) != 0) {
			snprintf(err, sizeof(err), "RX lcore %u has not taken the previous reload "
				 "within 1 s; try again", late);
			return fail(why, err, summary, len);
		}
	}
	if (ch.delivery && apply_delivery(ctl, &next, err, sizeof(err)) != 0) {
		if (!ch.rx)
			return fail(why, err, summary, len);
		/* Only a URL libcurl took above and the engine refuses now (a token with a
		 * line break) gets here: the RX part is in, say so. */
		CF_LOG(ERR, "reload (%s): delivery settings refused: %s\n", why, err);
	}
	if (ch.log)
		rte_log_set_level_pattern("clarion*", (uint32_t)next.log_level);
	cf_config_copy_live(running, &next);
	cf_config_copy_live(&parsed, &next);
	if (ch.delivery)
		cf_ctlplane_reloaded(running);
	__atomic_add_fetch(&n_ok, 1, __ATOMIC_RELAXED);
	CF_LOG(NOTICE, "reload (%s): %s%s%s%s%s\n", why,
	       ch.n_live ? "applied " : "", ch.live,
	       ch.n_live == 0 && ch.n_restart == 0 ? "no setting changed" : "",
	       ch.n_restart ? (ch.n_live ? "; needs restart: " : "needs restart: ") : "",
	       ch.restart);
	if (ch.n_restart)
		CF_LOG(WARNING, "reload (%s): needs restart: %s (left as it is until "
		       "clarion-flowd restarts)\n", why, ch.restart);
	if (summary != NULL)
		snprintf(summary, len, "applied: %s; needs restart: %s",
			 ch.n_live ? ch.live : "none", ch.n_restart ? ch.restart : "none");
	return 0;
}
