/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --field-map: operator-supplied (version, PEN, element id) -> record field
 * entries that take precedence over the built-in map. Read once at start-up,
 * read-only afterwards (shared by every lcore without locks).
 *
 * File format (JSON object; key "<version>:<pen>:<id>", version 9 or 10):
 *   {"9:0:40000": "src_sgt", "10:12345:7": "dst_sgt", "10:0:95": "skip"}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"

static const struct {
	const char *name;
	uint16_t dst4;     /* destination for 4-byte (or any-length numeric) elements */
	uint16_t dst16;    /* for 16-byte addresses, where the family depends on length */
} fields[] = {
	{"src_ip", CF_TPL_D_SRC4, CF_TPL_D_SRC6},
	{"dst_ip", CF_TPL_D_DST4, CF_TPL_D_DST6},
	{"next_hop", CF_TPL_D_NH4, CF_TPL_D_NH6},
	{"bgp_next_hop", CF_TPL_D_BGP4, CF_TPL_D_BGP6},
	{"src_port", CF_TPL_D_SPORT, 0},
	{"dst_port", CF_TPL_D_DPORT, 0},
	{"protocol", CF_TPL_D_PROTO, 0},
	{"tos", CF_TPL_D_TOS, 0},
	{"tcp_flags", CF_TPL_D_TCP_FLAGS, 0},
	{"bytes", CF_TPL_D_BYTES, 0},
	{"packets", CF_TPL_D_PKTS, 0},
	{"input_if", CF_TPL_D_IN_IF, 0},
	{"output_if", CF_TPL_D_OUT_IF, 0},
	{"src_as", CF_TPL_D_SRC_AS, 0},
	{"dst_as", CF_TPL_D_DST_AS, 0},
	{"src_mask", CF_TPL_D_SRC_MASK, 0},
	{"dst_mask", CF_TPL_D_DST_MASK, 0},
	{"src_mac", CF_TPL_D_SRC_MAC, 0},
	{"dst_mac", CF_TPL_D_DST_MAC, 0},
	{"vlan_id", CF_TPL_D_VLAN, 0},
	{"post_vlan_id", CF_TPL_D_POST_VLAN, 0},
	{"direction", CF_TPL_D_DIRECTION, 0},
	{"src_sgt", CF_TPL_D_SGT_SRC, 0},
	{"dst_sgt", CF_TPL_D_SGT_DST, 0},
	{"skip", CF_TPL_D_SKIP, 0},
};

static int
parse_key(const char *k, struct cf_tpl_fm_entry *e)
{
	unsigned long v, pen, id;
	char *end;

	errno = 0;
	v = strtoul(k, &end, 10);
	if (*end != ':' || (v != 9 && v != 10))
		return -1;
	pen = strtoul(end + 1, &end, 10);
	if (*end != ':' || pen > UINT32_MAX)
		return -1;
	id = strtoul(end + 1, &end, 10);
	if (*end != '\0' || errno != 0 || id > 65535 || (v == 10 && id > 32767))
		return -1;
	e->version = (uint8_t)v;
	e->pen = (uint32_t)pen;
	e->id = (uint16_t)id;
	return 0;
}

int
cf_tpl_fieldmap_load(struct cf_tpl_fieldmap *fm, const char *path, char *err, size_t errlen)
{
	cJSON *root = NULL, *it;
	char *text = NULL;
	long n;
	FILE *f;
	int rc = -1;

	memset(fm, 0, sizeof(*fm));
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "--field-map %s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "--field-map %s: unreadable or larger than 1 MiB", path);
		goto out;
	}
	text = malloc((size_t)n + 1);
	if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "--field-map %s: read failed", path);
		goto out;
	}
	text[n] = '\0';
	root = cJSON_Parse(text);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "--field-map %s: not a JSON object (near byte %ld)", path,
			 root == NULL && cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - text) : 0L);
		goto out;
	}
	cJSON_ArrayForEach(it, root) {
		struct cf_tpl_fm_entry *e = &fm->e[fm->n];
		unsigned int i;

		if (fm->n == CF_TPL_FM_MAX) {
			snprintf(err, errlen, "--field-map %s: more than %d entries (at key \"%s\")",
				 path, CF_TPL_FM_MAX, it->string);
			goto out;
		}
		if (parse_key(it->string, e) != 0) {
			snprintf(err, errlen, "--field-map %s: key \"%s\" is not \"<9|10>:<pen>:<id>\" "
				 "(IPFIX ids below 32768)", path, it->string);
			goto out;
		}
		if (!cJSON_IsString(it)) {
			snprintf(err, errlen, "--field-map %s: key \"%s\": value must be a field name",
				 path, it->string);
			goto out;
		}
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].name, it->valuestring) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			snprintf(err, errlen, "--field-map %s: key \"%s\": unknown field \"%s\"", path,
				 it->string, it->valuestring);
			goto out;
		}
		e->dst4 = fields[i].dst4;
		e->dst16 = fields[i].dst16;
		fm->n++;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	free(text);
	fclose(f);
	return rc;
}

int
cf_tpl_fieldmap_lookup(const struct cf_tpl_fieldmap *fm, uint8_t version, uint32_t pen, uint16_t id,
		       uint16_t len, uint16_t *dst)
{
	unsigned int i;

	if (fm == NULL)
		return 0;
	for (i = 0; i < fm->n; i++) {
		const struct cf_tpl_fm_entry *e = &fm->e[i];

		if (e->version != version || e->pen != pen || e->id != id)
			continue;
		if (e->dst16 != 0 && len == 16)
			*dst = e->dst16;
		else
			*dst = e->dst4;
		return 1;
	}
	return 0;
}
