#!/usr/bin/python3
"""Time one Mininet lab of N hosts on one Linux bridge, no controller: the Mininet column of
scripts/bench. Prints "UP_MS DOWN_MS" (and with --pingall, "PINGALL_MS" first, then loss in %).
Runs Debian's /usr/bin/python3 (where the mininet package lives). Never runs `mn -c`, and keeps
Mininet from raising the machine's sysctls (its fixLimits() writes ARP table sizes, socket
buffer limits, kernel.pty.max, ... and never puts them back)."""
import sys
import time

import mininet.net
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge
from mininet.topo import SingleSwitchTopo

setLogLevel('error')
mininet.net.fixLimits = lambda: None
n = int(sys.argv[1])
t0 = time.monotonic()
net = Mininet(topo=SingleSwitchTopo(n), switch=LinuxBridge, controller=None, autoSetMacs=True)
try:
    net.start()
    t1 = time.monotonic()
    if '--pingall' in sys.argv:
        loss = net.pingAll(timeout='1')
        t2 = time.monotonic()
        print('%.1f %.1f' % ((t2 - t1) * 1e3, loss))
        t1 = time.monotonic()
finally:
    net.stop()
t3 = time.monotonic()
if '--pingall' not in sys.argv:
    print('%.1f %.1f' % ((t1 - t0) * 1e3, (t3 - t1) * 1e3))
