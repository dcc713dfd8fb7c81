package snapshot

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ReduceEvent keeps what the rules read of an event.
func ReduceEvent(e *corev1.Event) Event {
	ev := Event{
		Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count,
		First: e.FirstTimestamp.Time.UTC(), Last: e.LastTimestamp.Time.UTC(),
		Source: e.Source.Component,
	}
	// events.k8s.io-era events leave the legacy fields empty.
	if ev.Last.IsZero() {
		ev.Last = e.EventTime.Time.UTC()
		if e.Series != nil {
			ev.Last = e.Series.LastObservedTime.Time.UTC()
			ev.Count = e.Series.Count
		}
	}
	if ev.First.IsZero() {
		ev.First = e.EventTime.Time.UTC()
	}
	if ev.Count == 0 {
		ev.Count = 1
	}
	if ev.Source == "" {
		ev.Source = e.ReportingController
	}
	return ev
}

// ReducePod keeps what the rules read of a pod.
func ReducePod(p *corev1.Pod) Pod {
	out := Pod{
		Namespace: p.Namespace, Name: p.Name, Phase: p.Status.Phase, QOSClass: p.Status.QOSClass,
		Containers: len(p.Spec.Containers),
		App:        firstLabel(p.Labels, "app.kubernetes.io/name", "app", "k8s-app"),
	}
	for _, c := range p.Spec.Containers {
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			out.ContainersWithoutLimits++
		}
		out.Images = append(out.Images, c.Image)
	}
	if out.QOSClass == "" {
		out.QOSClass = qosOf(p)
	}
	for _, st := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		out.Restarts += st.RestartCount
		if _, id, found := strings.Cut(st.ContainerID, "://"); found {
			out.ContainerIDs = append(out.ContainerIDs, id)
		}
	}
	return out
}

// qosOf tells BestEffort pods apart when the status does not say (pods read
// from files, very old API servers): no container requests or limits anything.
func qosOf(p *corev1.Pod) corev1.PodQOSClass {
	for _, c := range p.Spec.Containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			return corev1.PodQOSBurstable
		}
	}
	return corev1.PodQOSBestEffort
}

func firstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}
