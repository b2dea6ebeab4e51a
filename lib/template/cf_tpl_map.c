/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which record field an information element feeds. Numbers are IANA's IPFIX
 * registry (RFC 7012), which NetFlow v9 (RFC 3954) shares below 128 and for
 * most ids above; SGT is Cisco's: v9 34000/34001, IPFIX PEN 9 1232/1233
 * (Cisco exports its v9 ids > 32767 as PEN 9, id - 32768). IANA 411/412 are
 * dot1qServiceInstance elements, not SGT.
 */
#include <stddef.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"

#define PEN_CISCO 9

enum len_rule { L_UINT, L_ADDR4, L_ADDR6, L_MAC, L_NTP, L_2 };

static int
len_ok(enum len_rule r, uint16_t len)
{
	switch (r) {
	case L_UINT: return len >= 1 && len <= 8;
	case L_ADDR4: return len == 4;
	case L_ADDR6: return len == 16;
	case L_MAC: return len == 6;
	case L_NTP: return len == 8;
	case L_2: return len == 2;
	}
	return 0;
}

static uint16_t
iana(uint16_t id, enum len_rule *r)
{
	*r = L_UINT;
	switch (id) {
	case 1: return TPL_D_BYTES;
	case 2: return TPL_D_PKTS;
	case 4: return TPL_D_PROTO;
	case 5: return TPL_D_TOS;
	case 6: return TPL_D_TCP_FLAGS;
	case 7: return TPL_D_SPORT;
	case 8: *r = L_ADDR4; return TPL_D_SRC4;
	case 9: return TPL_D_SRC_MASK;
	case 10: return TPL_D_IN_IF;
	case 11: return TPL_D_DPORT;
	case 12: *r = L_ADDR4; return TPL_D_DST4;
	case 13: return TPL_D_DST_MASK;
	case 14: return TPL_D_OUT_IF;
	case 15: *r = L_ADDR4; return TPL_D_NH4;
	case 16: return TPL_D_SRC_AS;
	case 17: return TPL_D_DST_AS;
	case 21: return TPL_D_T_UP_END;
	case 22: return TPL_D_T_UP_START;
	case 23: return TPL_D_BYTES_ALT;   /* postOctetDeltaCount (v9 OUT_BYTES) */
	case 24: return TPL_D_PKTS_ALT;
	case 27: *r = L_ADDR6; return TPL_D_SRC6;
	case 28: *r = L_ADDR6; return TPL_D_DST6;
	case 29: return TPL_D_SRC_MASK;
	case 30: return TPL_D_DST_MASK;
	case 32: *r = L_2; return TPL_D_ICMP_TC;
	case 34: return TPL_D_SAMP_INTERVAL;
	case 48: return TPL_D_SAMP_ID;
	case 50: return TPL_D_SAMP_INTERVAL;  /* samplerRandomInterval (v9 FLOW_SAMPLER_RANDOM_INTERVAL) */
	case 56: *r = L_MAC; return TPL_D_SRC_MAC;
	case 57: *r = L_MAC; return TPL_D_DST_MAC_POST;
	case 58: return TPL_D_VLAN;
	case 59: return TPL_D_POST_VLAN;
	case 61: return TPL_D_DIRECTION;
	case 62: *r = L_ADDR6; return TPL_D_NH6;
	case 80: *r = L_MAC; return TPL_D_DST_MAC;
	case 81: *r = L_MAC; return TPL_D_SRC_MAC_POST;
	case 85: return TPL_D_BYTES_ALT;     /* octetTotalCount */
	case 86: return TPL_D_PKTS_ALT;      /* packetTotalCount */
	case 139: *r = L_2; return TPL_D_ICMP_TC;
	case 150: return TPL_D_T_SEC_START;
	case 151: return TPL_D_T_SEC_END;
	case 152: return TPL_D_T_MS_START;
	case 153: return TPL_D_T_MS_END;
	case 154: *r = L_NTP; return TPL_D_T_US_START;
	case 155: *r = L_NTP; return TPL_D_T_US_END;
	case 156: *r = L_NTP; return TPL_D_T_NS_START;
	case 157: *r = L_NTP; return TPL_D_T_NS_END;
	case 158: return TPL_D_T_DUS_START;
	case 159: return TPL_D_T_DUS_END;
	case 160: return TPL_D_T_SYSINIT;
	case 176: return TPL_D_ICMP_TYPE;
	case 177: return TPL_D_ICMP_CODE;
	case 178: return TPL_D_ICMP_TYPE;
	case 179: return TPL_D_ICMP_CODE;
	case 231: return TPL_D_BYTES_ALT;    /* initiatorOctets (ASA v9 FWD_FLOW_DELTA_BYTES) */
	case 298: return TPL_D_PKTS_ALT;     /* initiatorPackets */
	case 243: return TPL_D_VLAN_DOT1Q;
	case 254: return TPL_D_POST_VLAN_DOT1Q;
	case 302: return TPL_D_SAMP_ID;      /* selectorId */
	case 365: *r = L_MAC; return TPL_D_STA_MAC;   /* staMacAddress (Cisco WLC) */
	case 366: *r = L_ADDR4; return TPL_D_STA4;    /* staIPv4Address (Cisco WLC) */
	case 305: return TPL_D_SAMP_PKT_INTERVAL;
	case 306: return TPL_D_SAMP_PKT_SPACE;
	default: return TPL_D_SKIP;
	}
}

uint16_t
tpl_map(uint8_t version, uint32_t pen, uint16_t id, uint16_t len)
{
	enum len_rule r = L_UINT;
	uint16_t d = TPL_D_SKIP;

	if (pen == 0) {
		if (version == CFR_V_NF9 && (id == 34000 || id == 34001))
			d = id == 34000 ? TPL_D_SGT_SRC : TPL_D_SGT_DST;
		else if (version == CFR_V_NF9 && id >= 32768)
			d = TPL_D_SKIP;
		else
			d = iana(id, &r);
	} else if (pen == PEN_CISCO && (id == 1232 || id == 1233)) {
		d = id == 1232 ? TPL_D_SGT_SRC : TPL_D_SGT_DST;
	}
	if (d == TPL_D_SKIP)
		return d;
	if (len == TPL_VARLEN || !len_ok(r, len))
		return TPL_D_BADLEN;
	return d;
}

#define NUM(f, bit) {offsetof(struct cfr_record, f), sizeof(((struct cfr_record *)0)->f), 0, bit}
#define ADDR(f, n, bit) {offsetof(struct cfr_record, f), 0, n, bit}

/* Record field, width and presence bit of destinations a plain store can serve. */
static const struct {
	uint8_t roff, width;
	uint8_t addr;       /* 4: IPv4 copy, 6: MAC copy, 0: number of `width` bytes */
	uint32_t bit;
} direct[TPL_D_MAX] = {
	[TPL_D_SRC4] = ADDR(src_addr, 4, CFR_F_SRC_ADDR),
	[TPL_D_DST4] = ADDR(dst_addr, 4, CFR_F_DST_ADDR),
	[TPL_D_NH4] = ADDR(next_hop, 4, CFR_F_NEXT_HOP),
	[TPL_D_SRC_MAC] = ADDR(src_mac, 6, CFR_F_SRC_MAC),
	[TPL_D_DST_MAC] = ADDR(dst_mac, 6, CFR_F_DST_MAC),
	[TPL_D_SPORT] = NUM(src_port, CFR_F_PORTS),
	[TPL_D_DPORT] = NUM(dst_port, CFR_F_PORTS),
	[TPL_D_PROTO] = NUM(protocol, CFR_F_PROTOCOL),
	[TPL_D_TOS] = NUM(tos, CFR_F_TOS),
	[TPL_D_BYTES] = NUM(bytes, CFR_F_BYTES),
	[TPL_D_PKTS] = NUM(packets, CFR_F_PACKETS),
	[TPL_D_IN_IF] = NUM(input_if, CFR_F_INPUT_IF),
	[TPL_D_OUT_IF] = NUM(output_if, CFR_F_OUTPUT_IF),
	[TPL_D_SRC_AS] = NUM(src_as, CFR_F_SRC_AS),
	[TPL_D_DST_AS] = NUM(dst_as, CFR_F_DST_AS),
	[TPL_D_SRC_MASK] = NUM(src_mask, CFR_F_SRC_MASK),
	[TPL_D_DST_MASK] = NUM(dst_mask, CFR_F_DST_MASK),
	[TPL_D_DIRECTION] = NUM(direction, CFR_F_DIRECTION),
	[TPL_D_SGT_SRC] = NUM(src_sgt, CFR_F_SRC_SGT),
	[TPL_D_SGT_DST] = NUM(dst_sgt, CFR_F_DST_SGT),
};

uint32_t
tpl_specialise(struct tpl_step *s, int dual_family)
{
	static const uint8_t num_op[9][9] = {
		/* [len][width] */
		[1][1] = TPL_OP_N11, [2][2] = TPL_OP_N22, [4][4] = TPL_OP_N44, [8][8] = TPL_OP_N88,
		[1][4] = TPL_OP_N14, [2][4] = TPL_OP_N24, [4][8] = TPL_OP_N48,
	};
	uint8_t op = TPL_OP_GENERIC;

	s->op = TPL_OP_GENERIC;
	s->roff = 0;
	if (s->dst >= TPL_D_MAX || direct[s->dst].bit == 0)
		return 0;
	if (direct[s->dst].addr == 4) {
		/* A template with IPv6 addresses too needs the family rules of the generic path. */
		if (!dual_family && s->len == 4)
			op = TPL_OP_CPY4;
	} else if (direct[s->dst].addr == 6) {
		if (s->len == 6)
			op = TPL_OP_CPY6;
	} else if (s->len <= 8) {
		op = num_op[s->len][direct[s->dst].width];
	}
	if (op == TPL_OP_GENERIC)
		return 0;
	s->op = op;
	s->roff = direct[s->dst].roff;
	return direct[s->dst].bit;
}

int
tpl_map_len_ok(uint16_t d, uint16_t len)
{
	switch (d) {
	case TPL_D_SRC4: case TPL_D_DST4: case TPL_D_NH4:
		return len == 4;
	case TPL_D_SRC6: case TPL_D_DST6: case TPL_D_NH6:
		return len == 16;
	case TPL_D_SRC_MAC: case TPL_D_DST_MAC:
		return len == 6;
	default:
		return len >= 1 && len <= 8;
	}
}
