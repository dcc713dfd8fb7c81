// Command fleetgen registers (or deletes) generated nodes and pods in the
// lab for `make bench-scan`: every node points at the simulated kubelet of
// one scenario (default healthy), so no simulator change is needed.
//
//	fleetgen --kubeconfig KC --nodes 1000 --pods-per-node 30
//	fleetgen --kubeconfig KC --delete
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/fleet"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "admin kubeconfig")
	like := flag.String("like", "healthy", "scenario whose simulated kubelet serves every generated node")
	nodes := flag.Int("nodes", 100, "generated nodes wanted")
	pods := flag.Int("pods-per-node", 30, "pods per generated node")
	workers := flag.Int("workers", 64, "concurrent create requests")
	del := flag.Bool("delete", false, "delete every generated node and pod instead")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cfg.UserAgent = "fleetgen"
	cfg.QPS, cfg.Burst = 5000, 5000
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	start := time.Now()
	if *del {
		if err := fleet.Delete(ctx, cs, *workers); err != nil {
			log.Fatal(err)
		}
		log.Printf("deleted the generated fleet in %v", time.Since(start).Round(time.Millisecond))
		return
	}
	port, err := fleet.KubeletPort(ctx, cs, *like)
	if err != nil {
		log.Fatal(err)
	}
	if err := fleet.Ensure(ctx, cs, fleet.Spec{Nodes: *nodes, PodsPerNode: *pods, Port: port, Workers: *workers}); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d nodes × %d pods (kubelet of %s, port %d) in %v", *nodes, *pods, *like, port, time.Since(start).Round(time.Millisecond))
}
