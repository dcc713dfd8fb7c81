package kubelet

import (
	"bytes"
	"time"
)

// LogKind says whose lines a log holds.
type LogKind int

// Log kinds, as told by SniffLog.
const (
	NotALog LogKind = iota
	// KubeletLog: the kubelet's own lines (journal unit, kubelet.log, bare klog, JSON logging).
	KubeletLog
	// RuntimeLog: the container runtime daemon's lines (containerd, dockerd, crio).
	RuntimeLog
	// SystemLog: a syslog of many programs (/var/log/messages, syslog, journalctl
	// without -u); the kubelet's lines in it can be read with ScanOptions.Idents.
	SystemLog
)

var runtimeIdents = []string{"containerd", "dockerd", "docker", "crio", "cri-o", logrusIdent}

// sniffLines is how many lines of a file's start SniffLog looks at.
const sniffLines = 50

// SniffLog tells from the start of a file whether it is a log and whose. A
// file is a log when most of its first lines carry a timestamp header in one
// of the forms parseHeader knows.
func SniffLog(head []byte) LogKind {
	var lines, stamped, kubeletLines, runtimeLines, otherLines, klogLines int
	idents := map[string]bool{}
	for len(head) > 0 && lines < sniffLines {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		if isDmesgLine(line) { // the kernel's, with no clock time
			stamped++
			otherLines++
			continue
		}
		// The year does not matter here, only whether a header parses.
		h, ok := parseHeader(line, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
		if !ok {
			continue
		}
		stamped++
		if h.ident != "" {
			idents[h.ident] = true
			if klogMessage(line) {
				klogLines++
			}
		}
		switch {
		case h.ident == "systemd":
			// journalctl -u UNIT shows systemd starting and stopping the
			// unit: lines of every unit's journal, no sign of a syslog.
		case h.ident == "" || identIn(KubeletIdents, h.ident):
			kubeletLines++
		case contains(runtimeIdents, h.ident):
			runtimeLines++
		default:
			otherLines++
		}
	}
	// One program that writes klog lines and nothing else is a kubelet,
	// whatever it is called: a wrapper, "docker[641]" on old CoreOS where
	// the kubelet ran in a container (dockerd itself writes logrus lines).
	if len(idents) == 1 && klogLines == stamped && stamped > 0 {
		return KubeletLog
	}
	if lines == 0 || stamped*2 < lines {
		return NotALog
	}
	switch {
	case otherLines > 0 || (kubeletLines > 0 && runtimeLines > 0):
		return SystemLog
	case runtimeLines > 0:
		return RuntimeLog
	default:
		return KubeletLog
	}
}

// SniffUntimedLog tells whether text without timestamps (a message pasted
// alone, dmesg's seconds since boot, a log viewer's export) still carries
// what kubelets, runtimes or kernels say: it is then a log without times,
// whose kind is told by what it says. It is NotALog when no line carries a
// signal.
func SniffUntimedLog(head []byte) LogKind {
	var kernel, runtime, kubelet, lines, kernelWords int
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			lines++
			if kernelSpeaks(line) {
				kernelWords++
			}
		}
		Classify(line).Each(func(sig Signal) {
			switch sig {
			case OOMKill, OOMInvoked, HungTask, HungTaskNote, StorageHang, DiskError, FSReadOnly, DiskTimeout, KernelLockup, NetdevLeak, KernelOops:
				kernel++
			case DaemonError:
				runtime++
			default:
				kubelet++
			}
		})
	}
	switch {
	case kubelet > 0:
		return KubeletLog
	case kernel > 0:
		return SystemLog
	case runtime > 0:
		return RuntimeLog
	case lines > 0 && kernelWords*2 >= lines:
		// dmesg without times, and nothing wrong in it: still the kernel.
		return SystemLog
	}
	return NotALog
}

// kernelWords are what only the kernel writes, on every node, every day:
// interfaces and bridge ports coming and going, the audit subsystem.
var kernelWords = [][]byte{
	[]byte("entered promiscuous mode"), []byte("left promiscuous mode"), []byte("entered forwarding state"),
	[]byte("entered blocking state"), []byte("entered disabled state"), []byte("ADDRCONF(NETDEV_"),
	[]byte(": link becomes ready"), []byte("audit: type="), []byte("EXT4-fs ("), []byte("xfs ("),
	[]byte("aufs au_"), []byte("overlayfs: "), []byte("IPVS: "), []byte("nf_conntrack"), []byte("br_netfilter"),
}

// kernelSpeaks says a line holds one of the kernel's everyday words.
func kernelSpeaks(line []byte) bool {
	for _, w := range kernelWords {
		if bytes.Contains(line, w) {
			return true
		}
	}
	return false
}

// klogMessage says the message of a syslog line is a klog line
// ("I1212 21:55:45.064032     683 kubelet.go:1820] ...").
func klogMessage(line []byte) bool {
	i := bytes.Index(line, []byte("]: "))
	if i < 0 {
		return false
	}
	_, ok := parseKlogTime(line[i+3:], time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	return ok
}
