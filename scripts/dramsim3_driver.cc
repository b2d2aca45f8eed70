// A trace front end for DRAMSim3 that issues requests as fast as the memory system accepts them.
//
// Part of accelsim (scripts/make_dramsim3_reference.py builds and runs it); not part of DRAMSim3.
// It links DRAMSim3's own library (libdramsim3, public API in src/dramsim3.h) and reads DRAMSim3's
// trace format ("0xADDR READ|WRITE CYCLE" per line), exactly like DRAMSim3's TraceBasedCPU (src/cpu.cc),
// with one difference: TraceBasedCPU adds at most one transaction per memory cycle to the whole system,
// which caps a multi-channel part (HBM2's 8 channels each move a 64 B burst every 2 cycles, i.e. want
// 4 transactions per cycle) at a fraction of its bandwidth. This driver adds, in trace order, every
// transaction whose cycle has come and that the memory system accepts (WillAcceptTransaction), stopping
// at the first one it refuses (in-order issue, like a DMA engine), so the measured bandwidth is the part's
// and its controller's, not the front end's. With --per-cycle 1 it behaves like TraceBasedCPU.
//
// It stops once every request is done (reads returned through the read callback; writes, as DRAMSim3
// counts them, once accepted into the write buffer), then calls PrintStats (dramsim3.json/.txt in OUTDIR)
// and prints one JSON line with the cycle counts.
//
// Usage: dramsim3_driver CONFIG.ini TRACE OUTDIR [--per-cycle N]

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dramsim3.h"

struct Request {
    uint64_t addr;
    bool is_write;
    uint64_t cycle;
};

int main(int argc, const char **argv) {
    if (argc < 4) {
        std::cerr << "usage: dramsim3_driver CONFIG.ini TRACE OUTDIR [--per-cycle N]" << std::endl;
        return 2;
    }
    const std::string config = argv[1], trace = argv[2], outdir = argv[3];
    uint64_t per_cycle = 0;  // 0: no limit
    if (argc == 6 && std::string(argv[4]) == "--per-cycle") {
        per_cycle = std::strtoull(argv[5], nullptr, 10);
    }

    std::vector<Request> reqs;
    std::ifstream in(trace);
    if (!in) {
        std::cerr << "cannot read trace " << trace << std::endl;
        return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string addr, op;
        uint64_t cycle = 0;
        if (!(ls >> addr >> op >> cycle)) continue;
        reqs.push_back({std::stoull(addr, nullptr, 16), op == "WRITE" || op == "write", cycle});
    }

    uint64_t reads_total = 0, writes_total = 0, reads_done = 0, writes_done = 0, last_done = 0, clk = 0;
    for (const auto &r : reqs) (r.is_write ? writes_total : reads_total) += 1;
    auto on_read = [&](uint64_t) { reads_done += 1; last_done = clk; };
    auto on_write = [&](uint64_t) { writes_done += 1; last_done = clk; };
    dramsim3::MemorySystem *mem = dramsim3::GetMemorySystem(config, outdir, on_read, on_write);

    size_t next = 0;
    uint64_t last_issue = 0;
    while (next < reqs.size() || reads_done < reads_total || writes_done < writes_total) {
        mem->ClockTick();
        uint64_t issued = 0;
        while (next < reqs.size() && reqs[next].cycle <= clk && (per_cycle == 0 || issued < per_cycle) &&
               mem->WillAcceptTransaction(reqs[next].addr, reqs[next].is_write)) {
            mem->AddTransaction(reqs[next].addr, reqs[next].is_write);
            next += 1;
            issued += 1;
            last_issue = clk;
        }
        clk += 1;
    }
    mem->PrintStats();
    std::cout << "{\"cycles\": " << clk << ", \"last_done_cycle\": " << last_done
              << ", \"last_issue_cycle\": " << last_issue << ", \"reads\": " << reads_total
              << ", \"writes\": " << writes_total << ", \"tck_ns\": " << mem->GetTCK()
              << ", \"request_bytes\": " << mem->GetBusBits() / 8 * mem->GetBurstLength() << "}" << std::endl;
    delete mem;
    return 0;
}
