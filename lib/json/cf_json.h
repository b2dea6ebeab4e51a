/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_JSON_H
#define CF_JSON_H

/*
 * Streaming JSON encoder for flow records in the Clarion schema.
 *
 * Contract:
 *  - cf_json_record() writes one JSON object (no newline) for r at buf and returns
 *    the bytes written; buf must have CF_JSON_RECORD_MAX bytes free. It never
 *    allocates and never fails.
 *  - Key order is fixed: the Clarion keys (src_ip, dst_ip, src_port, dst_port,
 *    protocol, bytes, packets, flow_start, flow_end, switch_id, src_sgt,
 *    dst_sgt, src_mac, dst_mac, vlan_id), then the richer ones. Optional keys
 *    absent from the record are null; integers are printed exactly (64-bit).
 *  - Absent Clarion keys: cf_json_record() writes what the Clarion backend
 *    requires (integers: 0, addresses: "0.0.0.0"); with opts->null_absent
 *    (the NDJSON output) they are null like every other absent key.
 *  - Name references (cf_record.names[]) are resolved through opts->name;
 *    a name it does not know is left out. Without a resolver, no names.
 *  - flow_start/flow_end are Unix seconds (floor of the ms value).
 *  - An aggregate (CF_RECORD_F_FLOWS, lib/agg) ends with "flows": the number of
 *    records it sums.
 *  - cf_json_string() escapes any byte string as a JSON string (used for names,
 *    paths and bodies outside the record path): control characters as \uXXXX
 *    or their short forms, invalid UTF-8 bytes as \u00XX of the byte.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_record.h"

#define CF_JSON_RECORD_MAX 4096
#define CF_JSON_NAME_MAX 63 /* bytes of a resolved name used */

/*
 * Resolves a record's name reference into buf (CF_JSON_NAME_MAX + 1 bytes);
 * returns its length, or -1 when unknown. Called on the encoding thread.
 */
typedef int cf_json_name_fn(void *arg, uint32_t ref, char *buf);

struct cf_json_opts {
	uint8_t null_absent;       /* absent Clarion keys as null (else 0 / "0.0.0.0") */
	cf_json_name_fn *name;     /* NULL: no names */
	void *name_arg;
};

size_t cf_json_record(char *buf, const struct cf_record *r);
size_t cf_json_record_opts(char *buf, const struct cf_record *r, const struct cf_json_opts *o);

/* Address text (IPv4 dotted or RFC 5952 IPv6), NUL-terminated; returns length. */
size_t cf_json_addr(char *buf, const uint8_t *addr, int v6);

/* Escaped, quoted string; out needs 6 * len + 3 bytes. Returns bytes written. */
size_t cf_json_string(char *out, const uint8_t *s, size_t len);

#endif
