// Command kubectl_complete-pleg completes `kubectl pleg` command lines.
//
// kubectl ≥1.26 completes a plugin's arguments by running
// kubectl_complete-<plugin> from PATH with the words typed after the plugin
// name, the last one being the word under completion:
//
//	kubectl pleg diagnose wor<TAB>  →  kubectl_complete-pleg diagnose wor
//
// This program runs `kubectl-pleg __complete diagnose wor`, cobra's hidden
// completion command, which lists node names from the cluster. It prefers
// the kubectl-pleg next to its own resolved path (the one from the same
// archive or krew install, so both are the same version) and falls back to
// PATH. It is kept tiny on purpose: it does not link the command tree.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
