/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

/*
 * Application flags (everything after the EAL's "--"), with the old Python
 * collector's CLARION_COLLECTOR_* environment variables as defaults.
 *
 * Contract:
 *  - cf_config_parse() fills *c from defaults, then the environment, then the
 *    flags (a flag beats its variable). It never exits: it returns 0, 1 when
 *    --help was asked (usage already printed), or -1 with a one-line reason in
 *    err (the caller prints it and exits 2).
 *  - Values are range-checked here; later stages may trust them.
 */

#include <stdint.h>
#include <stdio.h>

#include "cf_decode.h"
#include "cf_pkt.h"

#define CF_MAX_PORTS 32

struct cf_config {
	uint64_t portmask;         /* 0 = every available port */
	uint16_t rxq;              /* queues per port; 0 = one per RX lcore */
	uint16_t rxd;
	uint16_t burst;
	uint32_t total_num_mbufs;  /* 0 = sized from ports, queues and rxd */
	uint16_t mbuf_size;        /* data room per mbuf */
	uint32_t stats_period;     /* seconds; 0 = off */
	uint32_t ring_size;        /* record blocks per RX lcore ring */
	uint32_t flush_us;         /* hand a partial block over after this long */
	uint32_t run_time;         /* stop after N seconds; 0 = run until signalled */
	uint32_t idle_exit;        /* stop after N seconds without a packet; 0 = never */
	uint32_t max_frame;        /* largest frame accepted (jumbo) */
	struct cfp_policy policy;  /* flow ports and --collector-ip */
	struct cfd_config decode;
	char field_map[512];
	char template_file[512];   /* --template-file; "" = templates are not kept over restarts */       /* --field-map JSON file; "" = built-in map */
	char output[512];          /* output spec; "" = default */
	char backend_url[512];
	uint32_t batch_size;
	uint32_t batch_interval;
	uint32_t retry_attempts;
	double retry_backoff;
	int log_level;             /* RTE_LOG_* */
};

void cf_config_defaults(struct cf_config *c);
int cf_config_parse(struct cf_config *c, int argc, char **argv, char *err, size_t errlen);
void cf_config_usage(FILE *f, const char *prog);

#endif
