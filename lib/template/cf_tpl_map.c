/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which record field an information element feeds. Numbers are IANA's IPFIX
 * registry (RFC 7012), which NetFlow v9 (RFC 3954) shares below 128 and for
 * most ids above; SGT is Cisco's: v9 34000/34001, IPFIX PEN 9 1232/1233
 * (Cisco exports its v9 ids > 32767 as PEN 9, id - 32768). IANA 411/412 are
 * dot1qServiceInstance elements, not SGT.
 */
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
