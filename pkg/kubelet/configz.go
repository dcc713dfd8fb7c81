package kubelet

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Config is the part of the kubelet's running configuration (/configz) that
// bears on PLEG trouble.
type Config struct {
	MaxPods                  int               `json:"maxPods"`
	SystemReserved           map[string]string `json:"systemReserved"`
	KubeReserved             map[string]string `json:"kubeReserved"`
	EvictionHard             map[string]string `json:"evictionHard"`
	RuntimeRequestTimeout    Duration          `json:"runtimeRequestTimeout"`
	ContainerRuntimeEndpoint string            `json:"containerRuntimeEndpoint"`
	FeatureGates             map[string]bool   `json:"featureGates"`
	EnableSystemLogHandler   *bool             `json:"enableSystemLogHandler"`
	EnableSystemLogQuery     *bool             `json:"enableSystemLogQuery"`
}

// Duration reads the kubelet's "2m0s" duration strings.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// ParseConfigz reads the kubelet's /configz JSON: {"kubeletconfig": {...}}.
func ParseConfigz(r io.Reader) (*Config, error) {
	var doc struct {
		KubeletConfig *Config `json:"kubeletconfig"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not kubelet /configz JSON: %w", err)
	}
	if doc.KubeletConfig == nil {
		return nil, fmt.Errorf(`not kubelet /configz JSON: no "kubeletconfig" object`)
	}
	return doc.KubeletConfig, nil
}

// Reserved reports whether any resources are set aside for system daemons.
func (c *Config) Reserved() bool { return len(c.SystemReserved) > 0 || len(c.KubeReserved) > 0 }
