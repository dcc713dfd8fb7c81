package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// throttledUser is on call (the shipped role) and, in this test, held by the
// API server's priority and fairness to a priority level of its own whose
// few seats reject what does not fit: 429 with Retry-After.
const throttledUser = "throttled"

// TestPriorityAndFairness runs scans as a user the API server rejects with
// 429 whenever its seats are taken, several at once, as runbooks and
// people do in an incident: every scan must still finish with the answer
// of an unthrottled one, having waited as told (client-go honours
// Retry-After), and the audit log must show the 429s, or the test proved
// nothing.
func TestPriorityAndFairness(t *testing.T) {
	needPlugin(t)
	cs := adminClient(t)
	ctx := context.Background()
	const name = "pleg-e2e-throttled"
	pl := &flowcontrolv1.PriorityLevelConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				// 1 share of the server's 600 seats against the defaults'
				// 245: three seats, none lent or borrowed; a LIST of pods
				// is worth several.
				NominalConcurrencyShares: ptr.To[int32](1),
				LendablePercent:          ptr.To[int32](0),
				BorrowingLimitPercent:    ptr.To[int32](0),
				LimitResponse:            flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject},
			},
		},
	}
	fs := &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: name},
			MatchingPrecedence:         500,
			Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
				Subjects: []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: throttledUser}}},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
					Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, ClusterScope: true, Namespaces: []string{"*"},
				}},
				NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
			}},
		},
	}
	if _, err := cs.FlowcontrolV1().PriorityLevelConfigurations().Create(ctx, pl, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.FlowcontrolV1().PriorityLevelConfigurations().Delete(ctx, name, metav1.DeleteOptions{}) })
	if _, err := cs.FlowcontrolV1().FlowSchemas().Create(ctx, fs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.FlowcontrolV1().FlowSchemas().Delete(ctx, name, metav1.DeleteOptions{}) })
	waitFlowSchemaActive(t, name)

	// Not the node whose kubelet hangs: every scan would wait a minute for it.
	scan := []string{"scan", "-l", "kubernetes.io/hostname!=kubelet-hang", "-o", "json"}
	want := pleg(t, kubeconfig("admin"), scan...)
	mark := auditMark(t)
	const scans = 6
	results := make([]result, scans)
	var wg sync.WaitGroup
	for i := range scans {
		wg.Go(func() { results[i] = pleg(t, kubeconfig(throttledUser), scan...) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != want.code || len(r.diag.Items) != len(want.diag.Items) {
			r.dump(t)
			t.Errorf("throttled scan %d: exit %d, %d nodes; unthrottled: exit %d, %d nodes", i, r.code, len(r.diag.Items), want.code, len(want.diag.Items))
		}
	}
	rejected, total := 0, 0
	for _, ev := range auditEvents(t, mark) {
		if ev.Stage != "ResponseComplete" || ev.User.Username != throttledUser {
			continue
		}
		total++
		if ev.ResponseStatus.Code == 429 {
			rejected++
		}
	}
	t.Logf("%d scans at once under a priority level of 3 seats: %d of their %d API requests rejected with 429, every scan finished with the unthrottled answer (slowest %v; one unthrottled scan %v)",
		scans, rejected, total, slowest(results), want.took.Round(time.Millisecond))
	if rejected == 0 {
		t.Errorf("no request was rejected: the priority level did not throttle, and this test shows nothing")
	}
}

// waitFlowSchemaActive waits until the API server has taken the flow
// schema in (its Dangling condition is False: its priority level exists).
func waitFlowSchemaActive(t *testing.T, name string) {
	t.Helper()
	cs := adminClient(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		fs, err := cs.FlowcontrolV1().FlowSchemas().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, c := range fs.Status.Conditions {
			if c.Type == flowcontrolv1.FlowSchemaConditionDangling && c.Status == flowcontrolv1.ConditionFalse {
				return
			}
		}
	}
	t.Fatalf("flow schema %s not in effect after 30s", name)
}

func slowest(rs []result) time.Duration {
	var d time.Duration
	for _, r := range rs {
		d = max(d, r.took)
	}
	return d.Round(time.Millisecond)
}
