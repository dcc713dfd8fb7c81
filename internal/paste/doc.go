// Package paste reads the command output operators paste into tickets that
// is not the kubelet's own data: `kubectl get nodes` tables, `systemctl
// status` of the node's units, runtime listings (`crictl ps`, `crictl pods`,
// `docker ps`) and the kube-controller-manager's log of nodes. Each reader
// takes the text as people paste it (prompts, `watch` headers, wrapped or
// indented lines, several captures in one) and returns plain records;
// internal/offline turns them into snapshots. Nothing here judges a node.
package paste
