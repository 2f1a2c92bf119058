#!/usr/bin/env python3
"""invalidateblock/reconsiderblock: the tip, the accounts and state_hash go back
exactly to what they were at the fork point and forward again, transfers
included; getchaintips reports active, valid-fork, valid-headers and invalid
branches with the right branch lengths."""

from decimal import Decimal

from test_framework.messages import COIN, Block, BlockHeader, coinbase_tx
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_coins


class BlockchainReorgTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def account(self, node, addr):
        a = node.getaccount(addr)
        del a["pending_nonce"]  # the mempool's business: disconnected txs go back there
        return a

    def snapshot(self, node):
        """What must come back exactly after a reorg."""
        return {
            "state": node.getstateinfo(),
            "payer": self.account(node, self.payer_addr),
            "payee": self.account(node, self.payee_addr),
            "payer_hist": node.getaccounthistory(self.payer_addr, 0, 1000),
            "payee_hist": node.getaccounthistory(self.payee_addr, 0, 1000),
        }

    def tips(self, node):
        return {t["hash"]: (t["height"], t["branchlen"], t["status"]) for t in node.getchaintips()}

    def run_test(self):
        node = self.nodes[0]
        self.payer, self.payer_addr = self.new_key()
        self.payee, self.payee_addr = self.new_key()
        _, self.alt_addr = self.new_key()
        self.generate(node, 101, self.payer_addr)  # block 1's coinbase matures

        # blocks 102..106 each carry a transfer (nonces 0..4); snapshot every height
        snaps = {101: self.snapshot(node)}
        main = {}
        for i in range(5):
            raw = self.make_transfer(self.payer, i, self.payee, (i + 1) * COIN, 1000)
            h = node.generateblock(self.payer_addr, [raw])["hash"]
            main[102 + i] = h
            snaps[102 + i] = self.snapshot(node)
        assert_equal(snaps[106]["payer"]["nonce"], 5)
        assert_equal(snaps[106]["payee"]["balance"], Decimal("15.00000000"))
        assert_equal(len(set(s["state"]["state_hash"] for s in snaps.values())), 6)

        self.log.info("invalidate the tip, then a block deeper down")
        node.invalidateblock(main[106])
        assert_equal(node.getbestblockhash(), main[105])
        assert_equal(self.snapshot(node), snaps[105])
        # the disconnected block's transfer is pending again
        assert_equal(node.getaccount(self.payer_addr)["pending_nonce"], 5)
        assert_equal(self.tips(node), {main[105]: (105, 0, "active"),
                                       main[106]: (106, 1, "invalid")})
        node.invalidateblock(main[103])
        assert_equal(node.getblockcount(), 102)
        assert_equal(self.snapshot(node), snaps[102])
        assert_equal(self.tips(node), {main[102]: (102, 0, "active"),
                                       main[106]: (106, 4, "invalid")})
        # the disconnected blocks are still there, just not in the active chain
        b = node.getblock(main[104])
        assert_equal(b["confirmations"], -1)
        assert "nextblockhash" not in b
        assert "nextblockhash" not in node.getblock(main[102])
        # invalidating a block of an already invalid branch changes nothing
        node.invalidateblock(main[105])
        assert_equal(self.snapshot(node), snaps[102])

        self.log.info("a competing branch of two blocks with a different transfer")
        raw = self.make_transfer(self.payer, 1, self.alt_addr, 3 * COIN, 5000)
        alt = [node.generateblock(self.alt_addr, [raw])["hash"]]
        alt.append(node.generateblock(self.alt_addr, [])["hash"])
        assert_equal(node.getblockcount(), 104)
        assert_equal(node.getblockhash(103), alt[0])
        payer = node.getaccount(self.payer_addr)
        assert_equal(payer["nonce"], 2)
        # two more of its coinbases matured (blocks 3 and 4), one transfer left
        assert_equal(payer["balance"],
                     snaps[102]["payer"]["balance"] + 100 - to_coins(3 * COIN + 5000))
        alt_state = node.getstateinfo()
        assert alt_state["state_hash"] not in [s["state"]["state_hash"] for s in snaps.values()]
        assert_equal(self.tips(node), {alt[1]: (104, 0, "active"),
                                       main[106]: (106, 4, "invalid")})

        self.log.info("reconsider: the longer original branch wins again")
        node.reconsiderblock(main[103])
        assert_equal(node.getbestblockhash(), main[106])
        assert_equal(self.snapshot(node), snaps[106])
        assert_equal(self.tips(node), {main[106]: (106, 0, "active"),
                                       alt[1]: (104, 2, "valid-fork")})
        assert_equal(node.getblock(alt[0])["confirmations"], -1)
        assert_equal(node.getblock(main[103])["confirmations"], 4)
        assert_equal(node.getblock(main[102])["nextblockhash"], main[103])

        self.log.info("invalidate the original again: back to the alternative branch")
        node.invalidateblock(main[103])
        assert_equal(node.getbestblockhash(), alt[1])
        assert_equal(node.getstateinfo(), alt_state)
        node.reconsiderblock(main[106])  # clears the marks of its ancestors too
        assert_equal(node.getbestblockhash(), main[106])
        assert_equal(self.snapshot(node), snaps[106])

        self.log.info("invalidating a side branch leaves the active chain alone")
        node.invalidateblock(alt[0])
        assert_equal(self.snapshot(node), snaps[106])
        assert_equal(self.tips(node), {main[106]: (106, 0, "active"),
                                       alt[1]: (104, 2, "invalid")})
        node.reconsiderblock(alt[1])
        assert_equal(self.tips(node), {main[106]: (106, 0, "active"),
                                       alt[1]: (104, 2, "valid-fork")})

        self.log.info("a stored but never connected block is valid-headers")
        parent = Block.deserialize(bytes.fromhex(node.getblock(main[104], 0)))
        side = Block(BlockHeader(parent.hash(), b"", parent.header.time + 1),
                     [coinbase_tx(105, self.payee.pubkey, 50 * COIN, b"side")])
        side.update_merkle_root()
        assert side.solve()
        assert_equal(node.submitblock(side.hex()), "inconclusive")
        assert_equal(self.tips(node)[side.hash().hex()], (105, 1, "valid-headers"))
        # invalidating and reconsidering the tip of equal-height competition
        node.invalidateblock(main[105])
        # the side block (105) now has the most work: it gets connected
        assert_equal(node.getbestblockhash(), side.hash().hex())
        assert_equal(node.getaccount(self.payee_addr)["balance"],
                     snaps[104]["payee"]["balance"])
        assert_equal(self.tips(node)[main[106]], (106, 2, "invalid"))
        node.reconsiderblock(main[105])
        assert_equal(node.getbestblockhash(), main[106])
        assert_equal(self.snapshot(node), snaps[106])
        assert_equal(self.tips(node)[side.hash().hex()], (105, 1, "valid-fork"))

        assert_raises_rpc_error(-5, "Block not found", node.invalidateblock, "00" * 32)
        assert_raises_rpc_error(-5, "Block not found", node.reconsiderblock, "00" * 32)
        assert_equal(self.snapshot(node), snaps[106])


if __name__ == "__main__":
    BlockchainReorgTest().main()
