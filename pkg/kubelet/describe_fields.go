package kubelet

import (
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The values of describe-node sections: labels, taints, addresses,
// quantities, system info, times and kubectl's human ages.

func (n *nodeText) label(s string) {
	if s == "" || s == "<none>" {
		return
	}
	k, v, _ := strings.Cut(s, "=")
	if k == "" {
		return
	}
	node := n.out.Node
	if node.Labels == nil {
		node.Labels = map[string]string{}
	}
	if len(node.Labels) >= describeRowsMax {
		return
	}
	node.Labels[k] = v
	n.mark("labels")
}

// taint reads "key[=value]:Effect".
func (n *nodeText) taint(s string) {
	if s == "" || s == "<none>" {
		return
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || len(n.out.Node.Spec.Taints) >= describeRowsMax {
		return
	}
	t := corev1.Taint{Effect: corev1.TaintEffect(s[i+1:])}
	t.Key, t.Value, _ = strings.Cut(s[:i], "=")
	n.out.Node.Spec.Taints = append(n.out.Node.Spec.Taints, t)
	n.mark("taints")
}

// oldAddresses reads kubectl ≤1.7's "Addresses: 10.0.0.3,10.0.0.3,worker-3",
// which drops the types: an IP is taken for an InternalIP, anything else for
// a Hostname.
func (n *nodeText) oldAddresses(s string) {
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" || a == "<none>" {
			continue
		}
		if typ, addr, ok := describeSubKey(a); ok && net.ParseIP(a) == nil {
			n.address(corev1.NodeAddressType(typ), addr)
			continue
		}
		typ := corev1.NodeHostName
		if net.ParseIP(a) != nil {
			typ = corev1.NodeInternalIP
		}
		n.address(typ, a)
	}
}

func (n *nodeText) address(typ corev1.NodeAddressType, addr string) {
	if addr == "" {
		return
	}
	node := n.out.Node
	if len(node.Status.Addresses) >= 64 {
		return // a node has a handful; the check below is quadratic
	}
	for _, a := range node.Status.Addresses {
		if a.Type == typ && a.Address == addr {
			return
		}
	}
	node.Status.Addresses = append(node.Status.Addresses, corev1.NodeAddress{Type: typ, Address: addr})
	n.mark("addresses")
}

// quantity reads a "cpu:  8" line of Capacity or Allocatable.
func (n *nodeText) quantity(section, line string) {
	name, qty, ok := describeSubKey(line)
	if !ok {
		return
	}
	q, err := resource.ParseQuantity(qty)
	if err != nil {
		return
	}
	status := &n.out.Node.Status
	list := &status.Capacity
	if section == "allocatable" {
		list = &status.Allocatable
	}
	if *list == nil {
		*list = corev1.ResourceList{}
	}
	(*list)[corev1.ResourceName(name)] = q
	n.mark(section)
}

// parsePodsTotal reads the "(108 in total)" of the Non-terminated Pods line.
func parsePodsTotal(val string) (int, bool) {
	rest, ok := strings.CutPrefix(val, "(")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, " in total)")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(num)
	return v, err == nil && v >= 0
}

func parseBool(s string) (bool, bool) {
	b, err := strconv.ParseBool(s)
	return b, err == nil
}

// systemInfoField is the field a "System Info:" line sets, nil for one this
// parser does not know.
func systemInfoField(info *corev1.NodeSystemInfo, key string) *string {
	switch strings.ToLower(key) {
	case "machine id":
		return &info.MachineID
	case "system uuid":
		return &info.SystemUUID
	case "boot id":
		return &info.BootID
	case "kernel version":
		return &info.KernelVersion
	case "os image":
		return &info.OSImage
	case "operating system":
		return &info.OperatingSystem
	case "architecture":
		return &info.Architecture
	case "container runtime version":
		return &info.ContainerRuntimeVersion
	case "kubelet version":
		return &info.KubeletVersion
	case "kube-proxy version":
		return &info.KubeProxyVersion
	}
	return nil
}

// describeSubKey splits "Key:  value" (the value may be empty).
func describeSubKey(s string) (key, val string, ok bool) {
	key, val, ok = strings.Cut(s, ":")
	if !ok || key == "" || strings.ContainsAny(key, "\t") {
		return "", "", false
	}
	if val != "" && val[0] != ' ' && val[0] != '\t' {
		return "", "", false // the colon of "fd00::3" or "aws:///...": a value, not a key
	}
	return strings.TrimSpace(key), strings.TrimSpace(val), true
}

// parseDescribeTime reads the RFC 1123 times kubectl prints; kubectl prints
// the zero time as a date in year 1, which stays the zero time.
func parseDescribeTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// describeAgeMax is far beyond any real age; it keeps sums from overflowing.
const describeAgeMax = 200 * 365 * 24 * time.Hour

// parseDescribeAge reads kubectl's human durations: "43s", "3m5s", "27h",
// "2d3h", "5y10d" ("<unknown>" and "<invalid>" are not ages).
func parseDescribeAge(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	var d time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, false
		}
		unit, ok := units[s[i]]
		if !ok {
			return 0, false
		}
		v, _ := strconv.Atoi(s[:i])
		if time.Duration(v) > (describeAgeMax-d)/unit {
			return 0, false
		}
		d += time.Duration(v) * unit
		s = s[i+1:]
	}
	return d, true
}
