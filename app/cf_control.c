/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "cf_clock.h"
#include "cf_control.h"
#include "cf_log.h"
#include "cf_outputs.h"
#include "cf_port_stats.h"
#include "cf_reload.h"
#include "cf_stages.h"

#define DRAIN_BURST 32
/* At most one "write failed" line per this many seconds (the count says how many). */
#define OUT_ERR_LOG_S 10

volatile int cf_quit;
static volatile sig_atomic_t stop_signal;   /* SIGINT/SIGTERM that stopped us; 0 = none */
static volatile sig_atomic_t hup_pending;
/* /clarion/reload: the telemetry thread asks (tel_req), the control lcore answers
 * (tel_result, then tel_done = tel_req). */
static uint64_t tel_req, tel_done;   /* atomic */
static char tel_result[2200];
static int tel_rc;

static void
on_stop(int sig)
{
	stop_signal = sig;
	cf_quit = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup_pending = 1;
}

void
cf_control_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* SIGHUP never ends the process: it asks for cf_control_reload(). */
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout or socket is an error to count, not a reason to die. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Appends ", what" (or "what" first) to a list line. */
static void
list_add(char *buf, size_t len, const char *what)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", what);
}

int
cf_control_reload(struct cf_control *c)
{
	char err[600], done[1600] = "", what[600];
	int rc, failed = 0;

	/* The log first, so what follows lands in the new file. */
	rc = cf_log_reopen(err, sizeof(err));
	if (rc < 0) {
		CF_LOG(ERR, "SIGHUP: %s (still writing to the old file)\n", err);
		failed++;
	} else if (rc > 0) {
		list_add(done, sizeof(done), "--log-file");
	}
	rc = cf_output_reopen(c->out, err, sizeof(err));
	if (rc < 0) {
		CF_LOG(ERR, "SIGHUP: --output: %s (still writing to the old file)\n", err);
		failed++;
	} else if (rc > 0) {
		snprintf(what, sizeof(what), "--output ndjson:%s", c->cfg->output.arg);
		list_add(done, sizeof(done), what);
	}
	rc = cf_sflow_out_reopen(c->sflow_out, c->cfg->sflow_counters.arg, err, sizeof(err));
	if (rc < 0) {
		CF_LOG(ERR, "SIGHUP: --sflow-counters: %s (still writing to the old file)\n", err);
		failed++;
	} else if (rc > 0) {
		snprintf(what, sizeof(what), "--sflow-counters ndjson:%s", c->cfg->sflow_counters.arg);
		list_add(done, sizeof(done), what);
	}
	c->reloads++;
	CF_LOG(NOTICE, "SIGHUP: %s%s%s (reload #%" PRIu64 ")\n", done[0] ? "reopened " : "",
	       done[0] ? done : "no file to reopen (logs on stderr, no --output file)",
	       failed ? "; see the errors above" : "", c->reloads);
	/* Then the configuration: --config's file read again (cf_reload.h). */
	if (cf_reload_config(c, "SIGHUP", NULL, 0) != 0)
		failed++;
	return failed ? -1 : 0;
}

/* Moves whatever is queued on every ring to the output. Returns blocks moved. */
static unsigned int
drain(struct cf_control *c)
{
	void *blks[DRAIN_BURST];
	unsigned int i, k, n, total = 0;

	for (i = 0; i < c->n_rx; i++) {
		n = rte_ring_sc_dequeue_burst(c->rx[i]->ring, blks, DRAIN_BURST, NULL);
		for (k = 0; k < n; k++) {
			struct cf_record_block *b = blks[k];

			cf_stages_records(c, b->rec, b->count);
			c->records_out += b->count;
		}
		if (n != 0)
			rte_mempool_put_bulk(c->block_pool, blks, n);
		c->blocks_out += n;
		total += n;
	}
	return total;
}

static void
sum_rx(const struct cf_control *c, struct cf_stats_lcore *out)
{
	const struct cf_stats_lcore *in[RTE_MAX_LCORE];
	unsigned int i;

	for (i = 0; i < c->n_rx; i++)
		in[i] = &c->rx[i]->stats;
	cf_stats_sum(out, in, c->n_rx);
}

/* The ledger line of one output, in the words of cf_outputs_ledger: every record (or
 * sketch upload) accepted is in exactly one of the right-hand terms, which the "balanced"
 * field checks. Then its drops by reason, when it is a delivery engine. */
static void
print_ledger(const struct cf_control *c, FILE *f, const char *tag, const char *scheme)
{
	struct cf_output_delivery_stats s;
	struct cf_outputs_ledger l;
	unsigned int d;

	cf_outputs_ledger(c->out, scheme, &l);
	/* Edge-agent sketch uploads (one item each) enter the engine beside the records. */
	fprintf(f, "%s: received=%" PRIu64 " sketches=%" PRIu64 " recovered=%" PRIu64
		   " delivered=%" PRIu64
		   " pending=%" PRIu64 " in_batch=%" PRIu64 " in_flight=%" PRIu64 " spooled=%" PRIu64
		   " dead_lettered=%" PRIu64 " dropped=%" PRIu64 " balanced=%d\n",
		tag, l.received, l.sketches, l.recovered, l.delivered, l.pending, l.in_batch,
		l.in_flight, l.spooled, l.dead_lettered, l.dropped, l.balanced);
	if (cf_output_delivery_stats_of(c->out, scheme ? scheme : "http", &s) != 0)
		return;
	fprintf(f, "%s_drops:", tag);
	for (d = 0; d < CF_DELIVERY_DROP_MAX; d++)
		fprintf(f, " %s=%" PRIu64, cf_delivery_drop_name(d), s.dl.dropped[d]);
	fprintf(f, "\n");
}

static void
print_delivery(const struct cf_control *c, FILE *f)
{
	struct cf_output_delivery_stats s;
	const struct cf_delivery_stats *k = &s.dl;

	/* Kafka alone has its own ledger line (print_kafka), not a second one here. */
	if (c->out == NULL || cf_output_find(c->out, "kafka") == c->out)
		return;
	print_ledger(c, f, "delivery", NULL);
	if (cf_output_delivery_stats(c->out, &s) != 0)
		return;
	fprintf(f,
		"delivery: batches_delivered=%" PRIu64 " batches_dead_lettered=%" PRIu64
		" replayed=%" PRIu64 " spool_written=%" PRIu64 " spool_bytes=%" PRIu64
		" requests=%" PRIu64 " http_2xx=%" PRIu64 " http_transient=%" PRIu64
		" http_permanent=%" PRIu64 " transport_errors=%" PRIu64 " retries=%" PRIu64
		" body_bytes=%" PRIu64 " breaker_opens=%" PRIu64 " breaker_reopens=%" PRIu64
		" breaker=%s submit_stalls=%" PRIu64 " refused=%" PRIu64
		" dead_letter_bytes=%" PRIu64 " dead_letter_failed=%" PRIu64 "\n",
		k->delivered_batches, k->dead_lettered_batches, k->replayed, k->spool_written,
		k->spool_bytes, k->requests, k->responses_2xx, k->responses_transient,
		k->responses_permanent, k->transport_errors, k->retries, k->body_bytes,
		k->breaker_opens, k->breaker_reopens,
		cf_delivery_breaker_name((enum cf_delivery_breaker_state)k->breaker_state),
		s.submit_stalls, k->refused_records, k->dead_letter_bytes, k->dead_letter_failed);
}

/* The Kafka output's ledger, policy and producer counters (tests/e2e/test_kafka*.py read them). */
static void
print_kafka(const struct cf_control *c, FILE *f)
{
	struct cf_output_delivery_stats s;
	struct cf_delivery_kafka_stats ks;
	const struct cf_delivery_stats *k = &s.dl;
	unsigned int i;

	if (cf_output_delivery_stats_of(c->out, "kafka", &s) != 0 ||
	    cf_output_kafka_stats(c->out, &ks) != 0)
		return;
	print_ledger(c, f, "kafka", "kafka");
	fprintf(f, "kafka: batches_delivered=%" PRIu64 " batches_dead_lettered=%" PRIu64
		   " replayed=%" PRIu64 " resent=%" PRIu64 " spool_written=%" PRIu64
		   " requests=%" PRIu64 " transport_errors=%" PRIu64 " transient=%" PRIu64
		   " permanent=%" PRIu64 " retries=%" PRIu64 " breaker_opens=%" PRIu64
		   " breaker=%s submit_stalls=%" PRIu64 " messages_produced=%" PRIu64
		   " messages_delivered=%" PRIu64 " messages_failed=%" PRIu64
		   " delivered_bytes=%" PRIu64 " producer_restarts=%" PRIu64 " refused=%" PRIu64
		   " dead_letter_bytes=%" PRIu64 " dead_letter_failed=%" PRIu64 "\n",
		k->delivered_batches, k->dead_lettered_batches, k->replayed, k->resent,
		k->spool_written, k->requests, k->transport_errors, k->responses_transient,
		k->responses_permanent, k->retries, k->breaker_opens,
		cf_delivery_breaker_name((enum cf_delivery_breaker_state)k->breaker_state),
		s.submit_stalls, ks.produced, ks.delivered, ks.failed, ks.delivered_bytes,
		ks.restarts, k->refused_records, k->dead_letter_bytes, k->dead_letter_failed);
	fprintf(f, "kafka_errors:");
	for (i = 0; i < ks.n_msg_err; i++)
		fprintf(f, " %s=%" PRIu64, cf_delivery_kafka_err_name(ks.msg_err[i].code),
			ks.msg_err[i].n);
	if (ks.msg_err_other)
		fprintf(f, " other=%" PRIu64, ks.msg_err_other);
	fprintf(f, "\n");
}

/* " name=value" for every CF_STATS_COUNTER_TABLE row of group g, in table order. */
static void
print_group(FILE *f, const struct cf_stats_lcore *t, enum cf_stats_group g)
{
	unsigned int k;

	for (k = 0; k < CF_STATS_COUNTER_MAX; k++) {
		const struct cf_stats_counter_info *ci = cf_stats_counter_info(k);

		if (ci->group == g)
			fprintf(f, " %s=%" PRIu64, ci->name, cf_stats_counter_value(t, k));
	}
}

/*
 * One counter block. The final one (periodic == 0) lists every drop reason,
 * for whoever parses it; a --stats-period one only those that are not zero.
 */
static void
print_block(const struct cf_control *c, FILE *f, const char *header, int periodic)
{
	struct cf_stats_lcore t;
	unsigned int i, d, n = 0;

	fprintf(f, "%s\n", header);
	for (i = 0; i < c->n_ports; i++) {
		struct rte_eth_stats es;

		if (cf_port_stats_get(c->ports[i], &es) != 0)
			continue;
		fprintf(f, "port %u: rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " imissed=%" PRIu64
			   " ierrors=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
			c->ports[i], es.ipackets, es.ibytes, es.imissed, es.ierrors, es.rx_nombuf);
	}
	for (i = 0; i < c->n_rx; i++) {
		const struct cf_stats_lcore *s = &c->rx[i]->stats;

		fprintf(f, "lcore %u: rx_packets=%" PRIu64 " flow_datagrams=%" PRIu64
			   " records=%" PRIu64 " busy=%.1f%% busy_us=%" PRIu64 "\n",
			c->rx[i]->lcore_id, s->rx_pkts, s->flow_dgrams, s->records,
			s->total_cycles ? 100.0 * (double)s->busy_cycles / (double)s->total_cycles : 0.0,
			s->busy_cycles / (rte_get_tsc_hz() / 1000000));
	}
	sum_rx(c, &t);
	fprintf(f, "total:");
	print_group(f, &t, CF_STATS_GROUP_RX);
	for (d = 0; d < CF_STATS_PROTO_MAX; d++)
		fprintf(f, " %s=%" PRIu64, cf_stats_proto_name(d), t.dgrams[d]);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_REC);
	/* Not RX counters: what the output took and lost, the delivery ledger's received and dropped. */
	{
		struct cf_outputs_ledger l;

		cf_outputs_ledger(c->out, NULL, &l);
		fprintf(f, " output=%" PRIu64 " output_failed=%" PRIu64, l.received, l.dropped);
	}
	print_group(f, &t, CF_STATS_GROUP_SEQ);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_TPL);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_NP);
	if (c->pkt_pool != NULL)
		fprintf(f, " mbufs_in_use_start=%u mbufs_in_use=%u", c->mbufs_start,
			rte_mempool_in_use_count(c->pkt_pool));
	fprintf(f, "\n");
	fprintf(f, "drops:");
	for (d = 0; d < CF_STATS_DROP_MAX; d++) {
		if (periodic && t.drops[d] == 0)
			continue;
		fprintf(f, " %s=%" PRIu64, cf_stats_drop_name(d), t.drops[d]);
		n++;
	}
	fprintf(f, "%s\n", periodic && n == 0 ? " none" : "");
	print_delivery(c, f);
	print_kafka(c, f);
	fprintf(f, "config: reloads ok=%" PRIu64 " failed=%" PRIu64 "\n", cf_reload_count(1),
		cf_reload_count(0));
	cf_stages_print(c, f);
	cf_sflow_print_unknown(f, c->sflow, c->n_rx);
	fflush(f);
}

int
cf_control_reload_request(char *out, size_t len, unsigned int timeout_ms)
{
	uint64_t req = __atomic_add_fetch(&tel_req, 1, __ATOMIC_ACQ_REL);
	uint64_t until = cf_clock_mono_ms() + timeout_ms;

	while (__atomic_load_n(&tel_done, __ATOMIC_ACQUIRE) < req) {
		if (cf_quit || cf_clock_mono_ms() >= until) {
			snprintf(out, len, "the control lcore did not answer within %u ms",
				 timeout_ms);
			return -2;
		}
		rte_delay_us_sleep(1000);
	}
	snprintf(out, len, "%s", tel_result);
	return tel_rc;
}

void
cf_control_print_stats(const struct cf_control *c, FILE *f, const char *title)
{
	char header[128];

	snprintf(header, sizeof(header), "==== %s ====", title);
	print_block(c, f, header, 0);
}

/* --stats-period: the time, the rates since the last block, then the counters. */
static void
print_periodic(struct cf_control *c, FILE *f)
{
	struct cf_control_rates *p = &c->rates;
	uint64_t now = cf_clock_mono_ms(), drops = 0, rx = 0, dg = 0, recs, out;
	struct cf_outputs_ledger l;
	struct cf_stats_lcore t;
	char header[160], ts[96];
	double secs;
	unsigned int d;

	sum_rx(c, &t);
	for (d = 0; d < CF_STATS_DROP_MAX; d++)
		drops += t.drops[d];
	rx = t.rx_pkts;
	dg = t.flow_dgrams;
	recs = t.records;
	cf_outputs_ledger(c->out, NULL, &l);
	out = l.delivered;
	/* "<time> clarion-flowd: " without the program part: the block is a report. */
	cf_log_prefix(ts, sizeof(ts), cf_clock_wall_ms(), 0);
	ts[strcspn(ts, " ")] = '\0';
	snprintf(header, sizeof(header), "==== stats %s (every %u s) ====", ts,
		 c->cfg->stats_period);
	print_block(c, f, header, 1);
	secs = p->ms != 0 && now > p->ms ? (double)(now - p->ms) / 1000.0 : 0;
	if (secs > 0)
		fprintf(f, "rate: rx_packets=%.1f/s flow_datagrams=%.1f/s records=%.1f/s "
			   "delivered=%.1f/s drops=%.1f/s (over %.1f s)\n",
			(double)(rx - p->rx) / secs, (double)(dg - p->dgrams) / secs,
			(double)(recs - p->records) / secs, (double)(out - p->delivered) / secs,
			(double)(drops - p->drops) / secs, secs);
	fflush(f);
	*p = (struct cf_control_rates){ .ms = now, .rx = rx, .dgrams = dg, .records = recs,
					.delivered = out, .drops = drops };
}

/* Link changes are logged once per transition; polled, so no LSC interrupt is
 * needed. A link seen coming up (or up at start) makes its port announce our
 * addresses (gratuitous ARP / unsolicited NA, sent by its RX lcore). */
static void
watch_links(struct cf_control *c)
{
	unsigned int i;

	for (i = 0; i < c->n_ports; i++) {
		struct rte_eth_link link;
		uint16_t port = c->ports[i];

		if (rte_eth_link_get_nowait(port, &link) != 0)
			continue;
		if (link.link_status == c->link_up[i])
			continue;
		c->link_up[i] = link.link_status;
		CF_LOG(INFO, "port %u: link %s, %u Mbps\n", port,
		       link.link_status ? "up" : "down", link.link_speed);
		if (link.link_status && c->np_ports != NULL && c->np_ports[port].valid &&
		    c->cfg->policy.n_addrs != 0) {
			c->np_ports[port].announce_gen++;
			CF_LOG(INFO, "port %u: announcing our addresses\n", port);
		}
	}
}

/*
 * Output write errors: counted per record by the sink, logged here at most
 * every OUT_ERR_LOG_S seconds with errno and how many records were lost.
 * force: at exit, whatever was not reported yet.
 */
static void
watch_output(struct cf_control *c, int force)
{
	const struct cf_output_stats *st = c->out != NULL ? &c->out->stats : NULL;
	uint64_t now = cf_clock_mono_ms();

	if (st == NULL || st->write_errors == c->out_errors_logged)
		return;
	if (!force && c->out_err_log_ms != 0 && now - c->out_err_log_ms < OUT_ERR_LOG_S * 1000)
		return;
	CF_LOG(ERR, "--output %s%s%s: %" PRIu64 " write(s) failed, last: %s (errno %d); %" PRIu64
	       " records lost (%" PRIu64 " since the last message)\n", c->out->ops->scheme,
	       c->cfg->output.arg[0] ? ":" : "", c->cfg->output.arg,
	       st->write_errors - c->out_errors_logged, strerror(st->last_errno), st->last_errno,
	       st->failed, st->failed - c->out_failed_logged);
	c->out_errors_logged = st->write_errors;
	c->out_failed_logged = st->failed;
	c->out_err_log_ms = now;
}

/* What a stop is about to flush, in one line: an operator waiting on a stop sees why. */
static void
log_stop(const struct cf_control *c)
{
	struct cf_output_delivery_stats s;
	char why[32] = "stop";
	uint64_t held = 0;
	unsigned int i;

	if (stop_signal != 0)
		snprintf(why, sizeof(why), "%s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	for (i = 0; i < c->n_rx; i++)
		held += rte_ring_count(c->rx[i]->ring);
	if (c->out != NULL && cf_output_delivery_stats(c->out, &s) == 0)
		CF_LOG(NOTICE, "%s: stopping RX on %u lcore(s), draining %" PRIu64 " record block(s) "
		       "from the rings; delivering %" PRIu64 " records in memory (batch being filled "
		       "%" PRIu64 ", in the engine %" PRIu64 ") for up to --shutdown-timeout %u s, then "
		       "spooling the rest to %s\n", why, c->n_rx, held,
		       s.open + s.dl.ring_records + s.dl.pending, s.open,
		       s.dl.ring_records + s.dl.pending, c->cfg->shutdown_timeout,
		       c->cfg->spool_dir[0] ? c->cfg->spool_dir : "nowhere (--spool-dir none: dropped)");
	else
		CF_LOG(NOTICE, "%s: stopping RX on %u lcore(s), draining %" PRIu64 " record block(s) "
		       "from the rings, flushing --output %s%s%s\n", why, c->n_rx, held,
		       c->out != NULL ? c->out->ops->scheme : "none",
		       c->cfg->output.arg[0] ? ":" : "", c->cfg->output.arg);
}

static int
all_done(const struct cf_control *c)
{
	unsigned int i;

	for (i = 0; i < c->n_rx; i++)
		if (!c->rx[i]->done)
			return 0;
	return 1;
}

int
cf_control_run(struct cf_control *c)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t start = rte_rdtsc();
	uint64_t next_stats = c->cfg->stats_period ? start + c->cfg->stats_period * hz : UINT64_MAX;
	uint64_t next_flush = start + hz / 10;
	uint64_t next_tick = start;
	unsigned int i;

	for (i = 0; i < c->n_ports; i++)
		c->link_up[i] = 0xff; /* unknown: the first poll logs the state */
	c->rates = (struct cf_control_rates){ .ms = cf_clock_mono_ms() };

	while (!cf_quit) {
		uint64_t now;

		if (hup_pending) {
			hup_pending = 0;
			cf_control_reload(c);
		}
		if (__atomic_load_n(&tel_req, __ATOMIC_ACQUIRE) != tel_done) {
			uint64_t req = __atomic_load_n(&tel_req, __ATOMIC_ACQUIRE);

			tel_rc = cf_reload_config(c, "telemetry", tel_result, sizeof(tel_result));
			__atomic_store_n(&tel_done, req, __ATOMIC_RELEASE);
		}
		if (drain(c) == 0)
			rte_delay_us_sleep(50);
		cf_stages_poll(c);
		cf_output_poll(c->out);
		now = rte_rdtsc();
		if (now >= next_flush) {
			/* Bound how long a record waits in the output's buffer. */
			cf_output_flush(c->out);
			next_flush = now + hz / 10;
		}
		if (now >= next_tick) {
			watch_links(c);
			if (c->on_tick != NULL)
				c->on_tick(c->tick_arg);
			cf_sflow_out_poll(c->sflow_out);
			watch_output(c, 0);
			next_tick = now + hz;
		}
		cf_tpl_saver_tick(c->tpl_save, now / (hz / 1000));
		if (now >= next_stats) {
			print_periodic(c, stderr);
			next_stats = now + c->cfg->stats_period * hz;
		}
		if (c->cfg->run_time && now - start >= c->cfg->run_time * hz) {
			CF_LOG(INFO, "--run-time %u s reached, stopping\n", c->cfg->run_time);
			cf_quit = 1;
		}
		if (c->cfg->idle_exit) {
			uint64_t last = 0;

			for (i = 0; i < c->n_rx; i++)
				if (c->rx[i]->last_rx_tsc > last)
					last = c->rx[i]->last_rx_tsc;
			if (last != 0 && now > last && now - last >= c->cfg->idle_exit * hz) {
				CF_LOG(INFO, "no packet for %u s (--idle-exit), stopping\n",
				       c->cfg->idle_exit);
				cf_quit = 1;
			}
		}
	}
	log_stop(c);
	/* Stop: RX lcores hand over their last blocks; keep draining until all are home. */
	while (!all_done(c))
		drain(c);
	while (drain(c) != 0)
		;
	/* RX lcores have stopped: this last poll reads exact counters. */
	cf_sflow_out_poll(c->sflow_out);
	/* Open aggregates out, last sketch round in, before the output ends. */
	cf_stages_finish(c);
	/* http: last partial batch, then the delivery shutdown sequence. */
	cf_output_finish(c->out);
	{
		struct cf_outputs_ledger l;
		int frc = cf_output_flush(c->out);

		watch_output(c, 1);
		uint64_t dropped;

		cf_outputs_ledger(c->out, NULL, &l);
		CF_LOG(NOTICE, "stopped: %" PRIu64 " records taken by the output, %" PRIu64
		       " delivered, %" PRIu64 " spooled, %" PRIu64 " dead-lettered, %" PRIu64
		       " dropped\n", l.received, l.delivered, l.spooled, l.dead_lettered, l.dropped);
		dropped = l.dropped;
		/* Kafka beside another output keeps its own ledger (tee). */
		if (cf_output_find(c->out, "kafka") != NULL && cf_output_find(c->out, "kafka") != c->out) {
			cf_outputs_ledger(c->out, "kafka", &l);
			CF_LOG(NOTICE, "stopped: kafka took %" PRIu64 " records, %" PRIu64
			       " delivered, %" PRIu64 " spooled, %" PRIu64 " dead-lettered, %" PRIu64
			       " dropped\n", l.received, l.delivered, l.spooled, l.dead_lettered,
			       l.dropped);
			dropped += l.dropped;
		}
		return frc == 0 && dropped == 0 ? 0 : -1;
	}
}
