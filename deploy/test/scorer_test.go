package deploytest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// checkScorerComponent checks dev and preview, which use
// components/scorer: the Deployment koe-scorer runs koe scorer, and
// KOE_SCORERS names its Service (CheckScorers checks that koe reaches it).
func checkScorerComponent(t *testing.T, objs []Object) {
	t.Helper()
	o := Find(objs, "Deployment", "koe-scorer")
	if o == nil {
		t.Fatal("Deployment koe-scorer missing (components/scorer)")
	}
	d := o.Obj.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers
	if len(c) != 1 || !isScorer(c[0]) || len(c[0].Args) != 1 {
		t.Errorf("Deployment koe-scorer must run the koe image with [scorer], has %d containers", len(c))
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Error("Deployment koe-scorer: two replicas at least, so that a drain leaves a scorer")
	}
	svc := Find(objs, "Service", "koe-scorer")
	if svc == nil || !selects(svc.Obj.(*corev1.Service).Spec.Selector, d.Spec.Template.Labels) {
		t.Error("Service koe-scorer must select the scorer's pods")
	}
	if Find(objs, "NetworkPolicy", "koe-scorer") == nil {
		t.Error("NetworkPolicy koe-scorer missing")
	}
	if !slices.Contains(strings.Split(ConfigData(objs)["KOE_SCORERS"], ","), "koe-scorer:flag=http://koe-scorer:8090/") {
		t.Errorf("KOE_SCORERS = %q, want it to name koe-scorer:flag=http://koe-scorer:8090/", ConfigData(objs)["KOE_SCORERS"])
	}
}

// TestScorerMistakes breaks dev's scorer one way at a time and makes sure
// the checks notice, as TestInvariantMistakes does for production.
func TestScorerMistakes(t *testing.T) {
	known := koeVariables(t)
	dev := environments[0]
	if dev.name != "dev" {
		t.Fatal("environments[0] is not dev")
	}
	all := func(objs []Object) []string {
		p := CheckObjects(objs, dev.namespace)
		p = append(p, CheckConfig(objs, known)...)
		p = append(p, CheckPods(objs)...)
		p = append(p, CheckServer(objs, ConfigData(objs))...)
		p = append(p, CheckMetricsExposure(objs)...)
		p = append(p, CheckScorer(objs)...)
		p = append(p, CheckScorers(objs)...)
		return p
	}
	if p := all(render(t, dev)); len(p) > 0 {
		t.Fatalf("dev has problems already: %q", p)
	}

	deployment := func(o []Object) *appsv1.Deployment {
		return Find(o, "Deployment", "koe-scorer").Obj.(*appsv1.Deployment)
	}
	pod := func(o []Object) *corev1.PodSpec { return &deployment(o).Spec.Template.Spec }
	scorer := func(o []Object) *corev1.Container { return &pod(o).Containers[0] }
	setEnv := func(o []Object, name, value string) []Object {
		c := scorer(o)
		c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		if value != "" {
			c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
		}
		return o
	}
	policy := func(o []Object, name string) *networkingv1.NetworkPolicy {
		return Find(o, "NetworkPolicy", name).Obj.(*networkingv1.NetworkPolicy)
	}
	service := func(o []Object) *corev1.Service { return Find(o, "Service", "koe-scorer").Obj.(*corev1.Service) }
	// koeEgress drops the egress rule components/scorer adds to koe's policy.
	koeEgress := func(o []Object) *networkingv1.NetworkPolicy {
		np := policy(o, "koe")
		np.Spec.Egress = slices.DeleteFunc(np.Spec.Egress, scorerEgress)
		return np
	}
	scorers := func(v string) func([]Object) []Object {
		return func(o []Object) []Object { ConfigData(o)["KOE_SCORERS"] = v; return o }
	}
	cases := []struct {
		name   string
		mutate func(objs []Object) []Object
		want   string
	}{
		// What every Deployment must have holds for the scorer's too.
		{"latest tag", func(o []Object) []Object { scorer(o).Image = Image + ":latest"; return o }, "koe-scorer container scorer: image \"ghcr.io/koehq/koe:latest\" uses latest"},
		{"no limits", func(o []Object) []Object { scorer(o).Resources.Limits = nil; return o }, "koe-scorer container scorer: cpu request and limit are required"},
		{"writable root", func(o []Object) []Object {
			scorer(o).SecurityContext.ReadOnlyRootFilesystem = ptr.To(false)
			return o
		}, "koe-scorer container scorer: readOnlyRootFilesystem"},
		{"root", func(o []Object) []Object { pod(o).SecurityContext.RunAsUser = ptr.To[int64](0); return o }, "koe-scorer: runs as root"},
		{"seccomp", func(o []Object) []Object { pod(o).SecurityContext.SeccompProfile = nil; return o }, "koe-scorer container scorer: seccompProfile"},
		{"token", func(o []Object) []Object { pod(o).AutomountServiceAccountToken = nil; return o }, "koe-scorer: automountServiceAccountToken"},
		{"service links", func(o []Object) []Object { pod(o).EnableServiceLinks = nil; return o }, "koe-scorer: enableServiceLinks"},
		{"pod labels", func(o []Object) []Object { delete(deployment(o).Spec.Template.Labels, LabelPartOf); return o }, "koe-scorer: pod template needs labels"},
		{"no /tmp", func(o []Object) []Object { scorer(o).VolumeMounts = nil; return o }, "koe-scorer container scorer: needs an emptyDir at /tmp"},
		{"GOMEMLIMIT", func(o []Object) []Object { return setEnv(o, "GOMEMLIMIT", "1GiB") }, "koe-scorer container scorer: GOMEMLIMIT"},
		{"no liveness", func(o []Object) []Object { scorer(o).LivenessProbe = nil; return o }, "koe-scorer container scorer: readiness and liveness probes are required"},

		// The scorer's own.
		{"readiness on readyz", func(o []Object) []Object { scorer(o).ReadinessProbe.HTTPGet.Path = "/readyz"; return o }, "readiness probe must GET /healthz on port http"},
		{"addr unset", func(o []Object) []Object { return setEnv(o, "KOE_SCORER_ADDR", "") }, "KOE_SCORER_ADDR must be set"},
		{"addr loopback", func(o []Object) []Object { return setEnv(o, "KOE_SCORER_ADDR", "127.0.0.1:8090") }, `KOE_SCORER_ADDR "127.0.0.1:8090": loopback`},
		{"addr other port", func(o []Object) []Object { return setEnv(o, "KOE_SCORER_ADDR", ":8091") }, `KOE_SCORER_ADDR ":8091" must listen on port 8090`},
		{"second port", func(o []Object) []Object {
			c := scorer(o)
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: "debug", ContainerPort: 6060})
			return o
		}, "koe scorer declares exactly the container port http (8090/TCP)"},
		{"secrets", func(o []Object) []Object {
			c := scorer(o)
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "koe-secrets"}}})
			return o
		}, "koe scorer needs no secret; leave envFrom koe-secrets out"},
		{"no preStop", func(o []Object) []Object { scorer(o).Lifecycle = nil; return o }, "koe-scorer container scorer: needs a preStop sleep"},
		{"default drain outlasts the grace", func(o []Object) []Object { return setEnv(o, "KOE_DRAIN_TIMEOUT", "") }, "koe-scorer: terminationGracePeriodSeconds must be at least preStop + KOE_DRAIN_TIMEOUT + 5 = 30"},
		{"no PDB", func(o []Object) []Object {
			return slices.DeleteFunc(o, func(x Object) bool { return x.GVK.Kind == "PodDisruptionBudget" && x.Meta.GetName() == "koe-scorer" })
		}, "no PodDisruptionBudget selects the scorer's pods"},
		{"open to all", func(o []Object) []Object {
			policy(o, "koe-scorer").Spec.Ingress[0].From = nil
			return o
		}, "NetworkPolicy koe-dev/koe-scorer: admits every source to the scorer"},
		{"open to every koe pod", func(o []Object) []Object {
			policy(o, "koe-scorer").Spec.Ingress[0].From[0].PodSelector = &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "koe"}}
			return o
		}, "NetworkPolicy koe-dev/koe-scorer: admits this namespace's pods app.kubernetes.io/name=koe to the scorer"},
		{"scorer egress", func(o []Object) []Object {
			np := policy(o, "koe-scorer")
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(443))}}})
			return o
		}, "the scorer connects nowhere (at most DNS), not to ports [443]"},
		{"no scorer policy", func(o []Object) []Object {
			return slices.DeleteFunc(o, func(x Object) bool { return x.GVK.Kind == "NetworkPolicy" && x.Meta.GetName() == "koe-scorer" })
		}, "a NetworkPolicy must restrict both Ingress and Egress of the scorer's pods"},
		{"koe egress to 8090 anywhere", func(o []Object) []Object {
			np := koeEgress(o)
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(ScorerPort))}}})
			return o
		}, "NetworkPolicy koe: egress only to DNS, PostgreSQL, Redis and HTTPS"},
		{"koe egress to 8090 in every namespace", func(o []Object) []Object {
			np := policy(o, "koe")
			for i := range np.Spec.Egress {
				for j := range np.Spec.Egress[i].To {
					np.Spec.Egress[i].To[j].NamespaceSelector = &metav1.LabelSelector{}
				}
			}
			return o
		}, "NetworkPolicy koe: egress only to DNS, PostgreSQL, Redis and HTTPS"},

		// KOE_SCORERS names a scorer koe can reach.
		{"koe egress missing", func(o []Object) []Object { koeEgress(o); return o },
			"KOE_SCORERS: koe-scorer: the NetworkPolicies do not let koe's server pods reach Deployment koe-dev/koe-scorer on port 8090"},
		{"scorer admits others", func(o []Object) []Object {
			policy(o, "koe-scorer").Spec.Ingress[0].From[0].PodSelector.MatchLabels = map[string]string{LabelName: "koe", LabelComponent: "seed"}
			return o
		}, "the NetworkPolicies do not let koe's server pods reach Deployment koe-dev/koe-scorer"},
		{"scorer ingress port", func(o []Object) []Object {
			policy(o, "koe-scorer").Spec.Ingress[0].Ports[0].Port = ptr.To(intstr.FromInt32(8080))
			return o
		}, "the NetworkPolicies do not let koe's server pods reach Deployment koe-dev/koe-scorer on port 8090"},
		{"unknown service", scorers("koe-scorer=http://scorer:8090/"), "KOE_SCORERS: koe-scorer: http://scorer:8090/ names Service scorer, which is not in the manifests"},
		{"wrong port", scorers("koe-scorer=http://koe-scorer:8091/"), "Service koe-scorer has no port 8091"},
		{"default port", scorers("koe-scorer=http://koe-scorer/"), "Service koe-scorer has no port 80"},
		{"full name", scorers("koe-scorer=http://koe-scorer.other.svc.cluster.local:8090/"), "is in namespace other"},
		{"outside over http", scorers("koe-scorer=http://koe-scorer:8090/,perspective=http://scorer.example.com/v1"), "perspective: http://scorer.example.com/v1 is outside the cluster"},
		{"not name=URL", scorers("http://koe-scorer:8090/"), `KOE_SCORERS: "http://koe-scorer:8090/" is not name=URL`},
		{"target port", func(o []Object) []Object {
			service(o).Spec.Ports[0].TargetPort = intstr.FromString("metrics")
			return o
		}, "Service koe-scorer port 8090 targets metrics, no container port of Deployment koe-dev/koe-scorer"},
		{"service selector", func(o []Object) []Object {
			service(o).Spec.Selector = map[string]string{LabelName: "koe", LabelComponent: "scorers"}
			return o
		}, "KOE_SCORERS: koe-scorer: Service koe-scorer selects no pod of the manifests"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := all(c.mutate(render(t, dev)))
			if !strings.Contains(strings.Join(p, "\n"), c.want) {
				t.Errorf("no problem mentioning %q; got %q", c.want, p)
			}
		})
	}
	// A full Service name in the namespace is as good as the short one.
	objs := scorers("koe-scorer=http://koe-scorer.koe-dev.svc.cluster.local:8090/")(render(t, dev))
	if p := CheckScorers(objs); len(p) > 0 {
		t.Errorf("full Service name: %q", p)
	}
}

func TestClusterService(t *testing.T) {
	for _, c := range []struct {
		host, name, ns string
		in             bool
	}{
		{"koe-scorer", "koe-scorer", "", true},
		{"koe-scorer.koe-dev.svc", "koe-scorer", "koe-dev", true},
		{"koe-scorer.koe-dev.svc.cluster.local", "koe-scorer", "koe-dev", true},
		{"koe-scorer.koe-dev.svc.cluster.local.", "koe-scorer", "koe-dev", true},
		{"scorer.example.com", "", "", false},
		{"koe-scorer.koe-dev.svc.example.com", "", "", false},
		{"10.0.0.1", "", "", false},
		{"::1", "", "", false},
	} {
		name, ns, in := clusterService(c.host)
		if name != c.name || ns != c.ns || in != c.in {
			t.Errorf("clusterService(%q) = %q, %q, %v; want %q, %q, %v", c.host, name, ns, in, c.name, c.ns, c.in)
		}
	}
}

// TestScorerRuns builds koe and runs dev's scorer container as the kubelet
// would, with its args and literal environment (only KOE_SCORER_ADDR moved
// to a free loopback port): the probes' path answers on the container port
// the Service targets, the path of KOE_SCORERS' URL answers the scorer
// contract, the process stays within the memory the Deployment requests,
// and SIGTERM drains it cleanly.
func TestScorerRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds koe")
	}
	objs := render(t, environments[0])
	d := Find(objs, "Deployment", "koe-scorer").Obj.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	u, err := url.Parse(strings.TrimPrefix(ConfigData(objs)["KOE_SCORERS"], "koe-scorer="))
	if err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "koe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/koe")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/koe: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("%s comes from elsewhere; this test sets only literal values", e.Name)
		}
		if e.Name == "KOE_SCORER_ADDR" {
			e.Value = addr
		}
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct{ Msg string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "koe scorer serving" {
				close(serving)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	select {
	case <-serving:
	case err := <-exited:
		stopped = true
		t.Fatalf("koe %v exited before serving: %v", c.Args, err)
	case <-ctx.Done():
		t.Fatal("koe scorer did not start within 60 s")
	}

	client := &http.Client{Timeout: 5 * time.Second}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		resp, err := client.Get("http://" + addr + pr.HTTPGet.Path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("probe GET %s: %s", pr.HTTPGet.Path, resp.Status)
		}
	}
	bad := 0.0
	for i, text := range []string{"When will the slides be online?", "スライドはどこで見られますか？", strings.Repeat("a long question ", 200)} {
		body := strings.NewReader(`{"text":` + strconv.Quote(text) + `,"lang":"en"}`)
		resp, err := client.Post("http://"+addr+u.Path, "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Labels map[string]float64 `json:"labels"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		score, ok := out.Labels["bad"]
		if err != nil || resp.StatusCode != http.StatusOK || !ok || score < 0 || score > 1 {
			t.Fatalf("POST %s (KOE_SCORERS' path), text %d: %s, %v, labels %v", u.Path, i, resp.Status, err, out.Labels)
		}
		bad = max(bad, score)
	}
	t.Logf("highest score of three harmless texts: %.3f", bad)

	if b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				req := c.Resources.Requests[corev1.ResourceMemory]
				t.Logf("peak resident memory %d KiB; the Deployment requests %s", kb, req.String())
				if kb*1024 >= req.Value() {
					t.Errorf("koe scorer peaked at %d KiB, more than the %s the Deployment requests", kb, req.String())
				}
			}
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("koe scorer after SIGTERM: %v", err)
		}
	case <-ctx.Done():
		t.Error("koe scorer did not stop within 60 s of SIGTERM")
	}
}
