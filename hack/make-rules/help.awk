# make help: every target with a `## description`, under its `##@ section`, in the Makefile's
# order (kubebuilder's layout).
BEGIN {
  FS = ":.*##"
  printf "\nUsage:\n  make \033[36m<target>\033[0m [VAR=value]\n"
}
/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $1, $2 }
/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($0, 5) }
