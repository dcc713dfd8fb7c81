package kubelet

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// show prints an optional value for failure messages.
func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestParseStatsSummary(t *testing.T) {
	type want struct {
		time                                string
		cpu                                 string
		memWS, memAvail                     string
		fsAvail, fsCap, imgAvail, imgCap    string
		pids, pidsMax                       string
		cpuPSI, memPSI, ioPSI, runtimeMemWS string
		pods, containers                    int
	}
	tests := []struct {
		file string
		want want
	}{
		{
			file: "summary-1.34.json",
			want: want{
				time: "2026-11-27T08:30:01Z", // the io sample is the newest
				cpu:  "7.812345678", memWS: "32749125632", memAvail: "536870912",
				fsAvail: "10737418240", fsCap: "107374182400", imgAvail: "5368709120", imgCap: "214748364800",
				pids: "31873", pidsMax: "4194304",
				cpuPSI: "38.75", memPSI: "4.5", ioPSI: "66.25", runtimeMemWS: "1610612736",
				pods: 2, containers: 3,
			},
		},
		{
			file: "summary-1.10.json",
			want: want{
				time: "2018-07-12T07:24:01Z",
				cpu:  "3.987654321", memWS: "15049125632", memAvail: "912345088",
				fsAvail: "21474836480", fsCap: "53687091200", imgAvail: "21474836480", imgCap: "53687091200",
				pids: "nil", pidsMax: "nil", // no rlimit before 1.15
				cpuPSI: "nil", memPSI: "nil", ioPSI: "nil", runtimeMemWS: "5368709120",
				pods: 0, containers: 0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			n, err := ParseStatsSummary(bytes.NewReader(openTestdata(t, filepath.Join("stats", tt.file))))
			if err != nil {
				t.Fatalf("ParseStatsSummary: %v", err)
			}
			got := want{
				cpu: show(n.CPUUsageCores), memWS: show(n.MemoryWorkingSet), memAvail: show(n.MemoryAvailable),
				fsAvail: show(n.FSAvailable), fsCap: show(n.FSCapacity), imgAvail: show(n.ImageFSAvailable), imgCap: show(n.ImageFSCapacity),
				pids: show(n.PIDsRunning), pidsMax: show(n.PIDsMax),
				cpuPSI: show(n.CPUPressure), memPSI: show(n.MemoryPressure), ioPSI: show(n.IOPressure), runtimeMemWS: show(n.RuntimeMemory),
				pods: n.Pods, containers: n.Containers,
			}
			w := tt.want
			w.time = ""
			if got != w {
				t.Errorf("NodeStats =\n %+v\nwant\n %+v", got, w)
			}
			if !n.Time.Equal(utc(tt.want.time)) || n.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %s in UTC", n.Time, tt.want.time)
			}
		})
	}
}

func TestParseStatsSummaryErrors(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"empty", ""},
		{"garbage", "<html><body>404 page not found</body></html>"},
		{"truncated", `{"node":{"nodeName":"worker-3","cpu":{"time":"2026-11-27T08:30:00Z","usageNanoCores":78`},
		{"wrong type", `{"node":{"nodeName":42}}`},
		{"empty object", `{}`},
		{"JSON null", `null`},
		{"Status from the API server", `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"nodes \"x\" is forbidden","reason":"Forbidden","code":403}`},
		{"configz instead of stats", `{"kubeletconfig":{"maxPods":110}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseStatsSummary(strings.NewReader(tt.body))
			if err == nil {
				t.Fatalf("no error; got %+v", n)
			}
			if n != nil {
				t.Errorf("result = %+v, want nil", n)
			}
			if !strings.Contains(err.Error(), "not a kubelet stats summary") {
				t.Errorf("error %q does not say what was wrong", err)
			}
		})
	}
}

func TestParseConfigz(t *testing.T) {
	tests := []struct {
		file         string
		wantMaxPods  int
		wantTimeout  time.Duration
		wantEndpoint string
		wantReserved bool
		wantEviction map[string]string
		wantGates    map[string]bool
		wantLogQuery *bool
	}{
		{
			file: "kubelet-1.28.json", wantMaxPods: 110, wantTimeout: 2 * time.Minute,
			wantEndpoint: "unix:///var/run/containerd/containerd.sock", wantReserved: false,
			wantEviction: map[string]string{"imagefs.available": "15%", "memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%"},
			wantGates:    map[string]bool{"EventedPLEG": false, "NodeLogQuery": true},
			wantLogQuery: new(true),
		},
		{
			file: "kubelet-1.12-reserved.json", wantMaxPods: 250, wantTimeout: 4 * time.Minute,
			wantReserved: true,
			wantEviction: map[string]string{"memory.available": "500Mi", "nodefs.available": "10%"},
			wantGates:    map[string]bool{"RotateKubeletServerCertificate": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := ParseConfigz(bytes.NewReader(openTestdata(t, filepath.Join("configz", tt.file))))
			if err != nil {
				t.Fatalf("ParseConfigz: %v", err)
			}
			if c.MaxPods != tt.wantMaxPods || c.RuntimeRequestTimeout.Duration != tt.wantTimeout || c.ContainerRuntimeEndpoint != tt.wantEndpoint {
				t.Errorf("maxPods, timeout, endpoint = %d, %v, %q; want %d, %v, %q",
					c.MaxPods, c.RuntimeRequestTimeout.Duration, c.ContainerRuntimeEndpoint, tt.wantMaxPods, tt.wantTimeout, tt.wantEndpoint)
			}
			if c.Reserved() != tt.wantReserved {
				t.Errorf("Reserved() = %v, want %v (system %v, kube %v)", c.Reserved(), tt.wantReserved, c.SystemReserved, c.KubeReserved)
			}
			if !equalCounts(toCounts(c.EvictionHard), toCounts(tt.wantEviction)) {
				t.Errorf("EvictionHard = %v, want %v", c.EvictionHard, tt.wantEviction)
			}
			if fmt.Sprint(c.FeatureGates) != fmt.Sprint(tt.wantGates) {
				t.Errorf("FeatureGates = %v, want %v", c.FeatureGates, tt.wantGates)
			}
			if show(c.EnableSystemLogQuery) != show(tt.wantLogQuery) {
				t.Errorf("EnableSystemLogQuery = %s, want %s", show(c.EnableSystemLogQuery), show(tt.wantLogQuery))
			}
		})
	}
}

// toCounts lets equalCounts compare string maps: each key/value pair counts once.
func toCounts(m map[string]string) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k+"="+v] = 1
	}
	return out
}

func TestParseConfigzErrors(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"empty", "", "not kubelet /configz JSON"},
		{"garbage", "404 page not found", "not kubelet /configz JSON"},
		{"truncated", `{"kubeletconfig":{"maxPods":110,"runtimeRequestT`, "not kubelet /configz JSON"},
		{"no kubeletconfig", `{"componentconfig":{"maxPods":110}}`, `no "kubeletconfig"`},
		{"null kubeletconfig", `{"kubeletconfig":null}`, `no "kubeletconfig"`},
		{"bad duration", `{"kubeletconfig":{"runtimeRequestTimeout":"two minutes"}}`, "not kubelet /configz JSON"},
		{"duration as a number", `{"kubeletconfig":{"runtimeRequestTimeout":120}}`, "not kubelet /configz JSON"},
		{"maxPods as a string", `{"kubeletconfig":{"maxPods":"110"}}`, "not kubelet /configz JSON"},
		{"stats instead of configz", `{"node":{"nodeName":"worker-3"},"pods":[]}`, `no "kubeletconfig"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfigz(strings.NewReader(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q (config %+v)", err, tt.wantErr, c)
			}
			if c != nil {
				t.Errorf("result = %+v, want nil", c)
			}
		})
	}
}
