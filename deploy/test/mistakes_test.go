package deploytest

import (
	"slices"
	"strings"
	"testing"

	rollouts "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	monitoring "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestInvariantMistakes breaks the production manifests one way at a time
// and makes sure the checks of TestEnvironments notice: a check that cannot
// fail proves nothing.
func TestInvariantMistakes(t *testing.T) {
	known := koeVariables(t)
	prod := environments[2]
	if prod.name != "production" {
		t.Fatal("environments[2] is not production")
	}
	all := func(objs []Object) []string {
		p := CheckObjects(objs, prod.namespace)
		p = append(p, CheckConfig(objs, known)...)
		p = append(p, CheckPods(objs)...)
		p = append(p, CheckServer(objs, ConfigData(objs))...)
		_, ing := CheckIngress(objs, true)
		p = append(p, ing...)
		p = append(p, CheckCanary(objs)...)
		p = append(p, CheckPodMonitor(objs)...)
		p = append(p, CheckMetricsExposure(objs)...)
		return p
	}
	if p := all(render(t, prod)); len(p) > 0 {
		t.Fatalf("production has problems already: %q", p)
	}

	server := func(objs []Object) *appsv1.Deployment {
		return Find(objs, "Deployment", "koe").Obj.(*appsv1.Deployment)
	}
	koe := func(objs []Object) *corev1.Container { return &server(objs).Spec.Template.Spec.Containers[0] }
	migrate := func(objs []Object) *corev1.Container {
		return &Find(objs, "Job", "koe-migrate").Obj.(*batchv1.Job).Spec.Template.Spec.Containers[0]
	}
	policy := func(objs []Object) *networkingv1.NetworkPolicy {
		return Find(objs, "NetworkPolicy", "koe").Obj.(*networkingv1.NetworkPolicy)
	}
	ingress := func(objs []Object) *networkingv1.Ingress {
		return Find(objs, "Ingress", "koe").Obj.(*networkingv1.Ingress)
	}
	service := func(objs []Object, name string) *corev1.Service {
		return Find(objs, "Service", name).Obj.(*corev1.Service)
	}
	podMonitor := func(objs []Object) *monitoring.PodMetricsEndpoint {
		return &Find(objs, "PodMonitor", "koe").Obj.(*monitoring.PodMonitor).Spec.PodMetricsEndpoints[0]
	}
	// containerPort returns the koe container's port of that name.
	containerPort := func(objs []Object, name string) *corev1.ContainerPort {
		c := koe(objs)
		for i := range c.Ports {
			if c.Ports[i].Name == name {
				return &c.Ports[i]
			}
		}
		t.Fatalf("no container port %s", name)
		return nil
	}
	// rule returns the ingress rule of NetworkPolicy koe that admits the
	// namespace ns.
	rule := func(objs []Object, ns string) *networkingv1.NetworkPolicyIngressRule {
		np := policy(objs)
		for i, r := range np.Spec.Ingress {
			for _, peer := range r.From {
				if peer.NamespaceSelector != nil && peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == ns {
					return &np.Spec.Ingress[i]
				}
			}
		}
		t.Fatalf("NetworkPolicy koe has no rule for namespace %s", ns)
		return nil
	}
	withEnv := func(objs []Object, name, value string) []Object {
		c := koe(objs)
		c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
		return objs
	}
	metricsPort := networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString(MetricsPortName)), Protocol: ptr.To(corev1.ProtocolTCP)}
	cases := []struct {
		name   string
		mutate func(objs []Object) []Object
		want   string
	}{
		{"latest tag", func(o []Object) []Object { koe(o).Image = Image + ":latest"; return o }, "uses latest"},
		{"no tag", func(o []Object) []Object { migrate(o).Image = "postgres"; return o }, "has no tag"},
		{"no limits", func(o []Object) []Object { migrate(o).Resources.Limits = nil; return o }, "request and limit are required"},
		{"request above limit", func(o []Object) []Object {
			migrate(o).Resources.Requests[corev1.ResourceMemory] = Quantity("1Gi")
			return o
		}, "exceeds its limit"},
		{"writable root", func(o []Object) []Object { koe(o).SecurityContext.ReadOnlyRootFilesystem = ptr.To(false); return o }, "readOnlyRootFilesystem"},
		{"capabilities", func(o []Object) []Object { koe(o).SecurityContext.Capabilities.Drop = nil; return o }, "drop ALL"},
		{"escalation", func(o []Object) []Object { koe(o).SecurityContext.AllowPrivilegeEscalation = nil; return o }, "allowPrivilegeEscalation"},
		{"seccomp", func(o []Object) []Object { server(o).Spec.Template.Spec.SecurityContext.SeccompProfile = nil; return o }, "seccompProfile"},
		{"root", func(o []Object) []Object { koe(o).SecurityContext.RunAsUser = ptr.To[int64](0); return o }, "runs as root"},
		{"token", func(o []Object) []Object { server(o).Spec.Template.Spec.AutomountServiceAccountToken = nil; return o }, "automountServiceAccountToken"},
		{"service links", func(o []Object) []Object { server(o).Spec.Template.Spec.EnableServiceLinks = ptr.To(true); return o }, "enableServiceLinks"},
		{"host path", func(o []Object) []Object {
			s := &server(o).Spec.Template.Spec
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
			return o
		}, "hostPath"},
		{"no readiness", func(o []Object) []Object { koe(o).ReadinessProbe = nil; return o }, "readiness probe must GET /readyz"},
		{"liveness on readyz", func(o []Object) []Object { koe(o).LivenessProbe.HTTPGet.Path = "/readyz"; return o }, "liveness probe must GET /healthz"},
		{"no preStop", func(o []Object) []Object { koe(o).Lifecycle = nil; return o }, "preStop sleep"},
		{"short grace", func(o []Object) []Object {
			server(o).Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](20)
			return o
		}, "terminationGracePeriodSeconds"},
		{"no /tmp", func(o []Object) []Object { koe(o).VolumeMounts = nil; return o }, "emptyDir at /tmp"},
		{"GOMEMLIMIT", func(o []Object) []Object { koe(o).Env[0] = corev1.EnvVar{Name: "GOMEMLIMIT", Value: "4GiB"}; return o }, "GOMEMLIMIT"},
		{"no spread", func(o []Object) []Object { server(o).Spec.Template.Spec.TopologySpreadConstraints = nil; return o }, "topologySpreadConstraints"},
		{"pod labels", func(o []Object) []Object { delete(server(o).Spec.Template.Labels, LabelPartOf); return o }, "pod template needs labels"},
		{"object labels", func(o []Object) []Object { o[1].Meta.SetLabels(nil); return o }, "label app.kubernetes.io/part-of=koe missing"},
		{"no namespace", func(o []Object) []Object { o[1].Meta.SetNamespace(""); return o }, "namespace is"},
		{"secret", func(o []Object) []Object {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: prod.namespace, Labels: map[string]string{LabelPartOf: "koe", LabelName: "koe", LabelComponent: "server"}}}
			return append(o, Object{GVK: corev1.SchemeGroupVersion.WithKind("Secret"), Meta: s, Obj: s})
		}, "a Secret in the manifests"},
		{"password in config", func(o []Object) []Object {
			ConfigData(o)["KOE_DATABASE_URL"] = "postgres://koe:hunter2@db:5432/koe"
			return o
		}, "URL with a password"},
		{"token literal", func(o []Object) []Object {
			c := koe(o)
			c.Env = append(c.Env, corev1.EnvVar{Name: "KOE_OWNER_TOKEN", Value: "0123456789abcdef"})
			return o
		}, "looks like a secret"},
		{"unknown variable", func(o []Object) []Object { ConfigData(o)["KOE_DRAIN_TIMOUT"] = "20s"; return o }, "koe does not read KOE_DRAIN_TIMOUT"},
		{"pss label", func(o []Object) []Object { o[0].Meta.SetLabels(map[string]string{LabelPartOf: "koe"}); return o }, "pod-security.kubernetes.io/enforce"},
		{"service name", func(o []Object) []Object { Find(o, "Service", "koe").Meta.SetName("koe-web"); return o }, "Service koe missing"},
		{"egress port", func(o []Object) []Object {
			np := policy(o)
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(80))}}})
			return o
		}, "egress only to DNS"},
		{"ingress from anywhere", func(o []Object) []Object {
			np := policy(o)
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{})
			return o
		}, "admits every source"},
		{"buffering", func(o []Object) []Object {
			ingress(o).Annotations["nginx.ingress.kubernetes.io/proxy-buffering"] = "on"
			return o
		}, "proxy-buffering"},
		{"short timeout", func(o []Object) []Object {
			ingress(o).Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "60"
			return o
		}, "proxy-read-timeout must be at least 300"},
		{"dns annotation", func(o []Object) []Object {
			ingress(o).Annotations["external-dns.alpha.kubernetes.io/hostname"] = "other.example.com"
			return o
		}, "external-dns hostname"},
		{"canary steps", func(o []Object) []Object {
			r := Find(o, "Rollout", "koe").Obj.(*rollouts.Rollout)
			r.Spec.Strategy.Canary.Steps = r.Spec.Strategy.Canary.Steps[:3]
			return o
		}, "steps are"},
		{"analysis query", func(o []Object) []Object {
			at := Find(o, "AnalysisTemplate", "koe-canary").Obj.(*rollouts.AnalysisTemplate)
			for i := range at.Spec.Metrics {
				if at.Spec.Metrics[i].Name == "delivery-latency-p99" {
					at.Spec.Metrics[i].Provider.Prometheus.Query = `histogram_quantile(0.99, sum by (le) (rate(koe_http_request_duration_seconds_bucket{namespace="{{args.namespace}}",rollouts_pod_template_hash="{{args.canary-hash}}"}[2m])))`
				}
			}
			return o
		}, "koe_realtime_delivery_seconds_bucket"},
		{"promql brace", func(o []Object) []Object {
			at := Find(o, "AnalysisTemplate", "koe-canary").Obj.(*rollouts.AnalysisTemplate)
			q := &at.Spec.Metrics[1].Provider.Prometheus.Query
			*q = strings.Replace(*q, "}[2m]", "[2m]", 1)
			return o
		}, "PromQL"},
		{"promql regexp", func(o []Object) []Object {
			at := Find(o, "AnalysisTemplate", "koe-canary").Obj.(*rollouts.AnalysisTemplate)
			q := &at.Spec.Metrics[0].Provider.Prometheus.Query
			*q = strings.Replace(*q, `code=~"5.."`, `code=~"5(.."`, 1)
			return o
		}, "PromQL: regular expression"},
		{"promql range", func(o []Object) []Object {
			at := Find(o, "AnalysisTemplate", "koe-canary").Obj.(*rollouts.AnalysisTemplate)
			q := &at.Spec.Metrics[2].Provider.Prometheus.Query
			*q = strings.Replace(*q, "[2m]", "[2 minutes]", 1)
			return o
		}, "PromQL: range"},
		{"analysis on all pods", func(o []Object) []Object {
			at := Find(o, "AnalysisTemplate", "koe-canary").Obj.(*rollouts.AnalysisTemplate)
			q := &at.Spec.Metrics[0].Provider.Prometheus.Query
			*q = strings.ReplaceAll(*q, `rollouts_pod_template_hash="{{args.canary-hash}}",`, "")
			return o
		}, "select the canary's pods"},
		{"deployment replicas", func(o []Object) []Object { server(o).Spec.Replicas = ptr.To[int32](3); return o }, "scaled to 0"},
		{"pod monitor", func(o []Object) []Object {
			Find(o, "PodMonitor", "koe").Obj.(interface{ SetName(string) }).SetName("other")
			return o
		}, "PodMonitor koe missing"},

		// The metrics listener: declared, set, scraped, and for Prometheus only.
		{"no metrics port", func(o []Object) []Object {
			c := koe(o)
			c.Ports = slices.DeleteFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == MetricsPortName })
			return o
		}, "needs the container port metrics"},
		{"metrics port number", func(o []Object) []Object { containerPort(o, MetricsPortName).ContainerPort = 9100; return o }, "needs the container port metrics"},
		{"debug port exposed", func(o []Object) []Object {
			c := koe(o)
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: "debug", ContainerPort: 6060})
			return o
		}, "declares only the ports http (8080) and metrics (9090)"},
		{"metrics addr unset", func(o []Object) []Object { delete(ConfigData(o), "KOE_METRICS_ADDR"); return o }, "KOE_METRICS_ADDR must be set"},
		{"metrics addr loopback", func(o []Object) []Object { ConfigData(o)["KOE_METRICS_ADDR"] = "127.0.0.1:9090"; return o }, `KOE_METRICS_ADDR "127.0.0.1:9090": loopback`},
		{"metrics addr localhost in env", func(o []Object) []Object { return withEnv(o, "KOE_METRICS_ADDR", "localhost:9090") }, `KOE_METRICS_ADDR "localhost:9090": loopback`},
		{"metrics addr ipv6 loopback", func(o []Object) []Object { return withEnv(o, "KOE_METRICS_ADDR", "[::1]:9090") }, `KOE_METRICS_ADDR "[::1]:9090": loopback`},
		{"metrics addr other port", func(o []Object) []Object { ConfigData(o)["KOE_METRICS_ADDR"] = ":9091"; return o }, "must listen on port 9090"},
		{"metrics addr on public port", func(o []Object) []Object { ConfigData(o)["KOE_METRICS_ADDR"] = ":8080"; return o }, "must listen on port 9090"},
		{"public addr on metrics port", func(o []Object) []Object { ConfigData(o)["KOE_ADDR"] = ":9090"; return o }, "KOE_ADDR \":9090\" must listen on port 8080"},
		{"debug addr exposed", func(o []Object) []Object { ConfigData(o)["KOE_DEBUG_ADDR"] = ":6060"; return o }, "KOE_DEBUG_ADDR \":6060\" serves pprof"},
		{"scrape annotation on http", func(o []Object) []Object {
			server(o).Spec.Template.Annotations["prometheus.io/port"] = "8080"
			return o
		}, "prometheus.io annotations must scrape /metrics on port 9090"},
		{"pod monitor on http", func(o []Object) []Object { podMonitor(o).Port = ptr.To("http"); return o }, "PodMonitor koe must scrape /metrics on the pod port metrics"},
		{"pod monitor path", func(o []Object) []Object { podMonitor(o).Path = "/metrics/"; return o }, "PodMonitor koe must scrape /metrics on the pod port metrics"},
		{"ingress to metrics port", func(o []Object) []Object {
			svc := service(o, "koe")
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9090, TargetPort: intstr.FromString(MetricsPortName)})
			ingress(o).Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Name: MetricsPortName}
			return o
		}, "routes to the metrics port of Service koe"},
		{"ingress to metrics port number", func(o []Object) []Object {
			ingress(o).Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Number: MetricsPort}
			return o
		}, "routes to the metrics port of Service koe"},
		{"service http to metrics", func(o []Object) []Object {
			service(o, "koe").Spec.Ports[0].TargetPort = intstr.FromString(MetricsPortName)
			return o
		}, "routes to Service koe port http, which leads to the metrics port"},
		{"service metrics port beside http", func(o []Object) []Object {
			svc := service(o, "koe")
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9090, TargetPort: intstr.FromInt32(MetricsPort)})
			return o
		}, "Service koe-production/koe: port metrics leads to the metrics port"},
		{"canary service to metrics", func(o []Object) []Object {
			svc := service(o, "koe-canary")
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9090, TargetPort: intstr.FromString(MetricsPortName)})
			return o
		}, "Service koe-production/koe-canary: port metrics leads to the metrics port"},
		{"ingress controller on metrics", func(o []Object) []Object {
			r := rule(o, "ingress-nginx")
			r.Ports = append(r.Ports, metricsPort)
			return o
		}, "NetworkPolicy koe-production/koe: admits namespaces kubernetes.io/metadata.name=ingress-nginx pods app.kubernetes.io/name=ingress-nginx to the metrics port"},
		{"ingress controller on every port", func(o []Object) []Object { rule(o, "ingress-nginx").Ports = nil; return o }, "to the metrics port (ports [every port])"},
		{"metrics in a port range", func(o []Object) []Object {
			r := rule(o, "ingress-nginx")
			r.Ports = []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8000)), EndPort: ptr.To[int32](9999)}}
			return o
		}, "to the metrics port (ports [8000-9999])"},
		{"monitoring namespace, any pod", func(o []Object) []Object {
			rule(o, "monitoring").From[0].PodSelector = &metav1.LabelSelector{}
			return o
		}, "admits namespaces kubernetes.io/metadata.name=monitoring pods <none> to the metrics port"},
		{"prometheus on http", func(o []Object) []Object {
			rule(o, "monitoring").Ports = []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("http")), Protocol: ptr.To(corev1.ProtocolTCP)}}
			return o
		}, "no rule admits Prometheus"},
		{"prometheus on both ports", func(o []Object) []Object {
			r := rule(o, "monitoring")
			r.Ports = append(r.Ports, networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString("http"))})
			return o
		}, "Prometheus must be admitted to the port metrics only"},
		{"ingress controller lost http", func(o []Object) []Object {
			rule(o, "ingress-nginx").Ports = []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8443))}}
			return o
		}, "no rule admits the ingress controller to the port http"},
		{"another policy opens metrics", func(o []Object) []Object {
			np := &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: "koe-extra", Namespace: prod.namespace, Labels: map[string]string{LabelPartOf: "koe", LabelName: "koe", LabelComponent: "server"}},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: ServerLabels},
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "koe"}}}},
						Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(MetricsPort))}},
					}},
				},
			}
			return append(o, Object{GVK: networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"), Meta: np, Obj: np})
		}, "NetworkPolicy koe-production/koe-extra: admits this namespace's pods app.kubernetes.io/name=koe to the metrics port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := all(c.mutate(render(t, prod)))
			if !strings.Contains(strings.Join(p, "\n"), c.want) {
				t.Errorf("no problem mentioning %q; got %q", c.want, p)
			}
		})
	}
}

// TestDNSLabel checks the branch → DNS label mapping of preview names.
func TestDNSLabel(t *testing.T) {
	for _, c := range []struct{ branch, want string }{
		{"main", "main"},
		{"feature/OIDC_login", "feature-oidc-login"},
		{"fix/#42--crash..on.start-", "fix-42-crash-on-start-"},
		{"release/1.2", "release-1-2"},
		{"dependabot/npm_and_yarn/web/vite-8.3.8", "dependabot-npm-and-yarn-web-vite-8-3-8"},
	} {
		got := DNSLabel(c.branch, maxBranchLabel)
		if c.want[len(c.want)-1] == '-' {
			// Lossy ('#'): the hash suffix follows.
			if !strings.HasPrefix(got, c.want) || len(got) != len(c.want)+6 {
				t.Errorf("DNSLabel(%q) = %q, want %q + 6 hex digits", c.branch, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("DNSLabel(%q) = %q, want %q", c.branch, got, c.want)
		}
	}
	long := "feature/" + strings.Repeat("a-very-long-branch-name-", 8)
	seen := map[string]string{}
	for _, b := range []string{
		"", "/", "---", "日本語", "ブランチ", "UPPER/lower", "upper/lower",
		long + "one", long + "two", strings.Repeat("x", 200), "-leading", "trailing-", "a",
	} {
		l := DNSLabel(b, maxBranchLabel)
		if !ValidLabel(l) || len(l) > maxBranchLabel {
			t.Errorf("DNSLabel(%q) = %q: not a DNS label of at most %d characters", b, l, maxBranchLabel)
		}
		if other, dup := seen[l]; dup && strings.ToLower(other) != strings.ToLower(b) {
			t.Errorf("branches %q and %q both map to %q", other, b, l)
		}
		seen[l] = b
		if l != DNSLabel(b, maxBranchLabel) {
			t.Errorf("DNSLabel(%q) is not deterministic", b)
		}
		ns, host, err := PreviewNames(PreviewParams{Branch: b, Domain: "Preview.Example.com."})
		if err != nil {
			t.Fatal(err)
		}
		if !ValidLabel(ns) || len(ns) > 63 || !strings.HasSuffix(host, ".preview.example.com") || !ValidLabel(strings.Split(host, ".")[0]) {
			t.Errorf("branch %q: namespace %q, host %q", b, ns, host)
		}
	}
}

func TestPreviewRejects(t *testing.T) {
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []PreviewParams{
		{Branch: "main", Domain: "localhost", Tag: "abc"},
		{Branch: "main", Domain: "bad_domain.example.com", Tag: "abc"},
		{Branch: "main", Domain: "preview.example.com", Tag: "latest"},
		{Branch: "main", Domain: "preview.example.com", Tag: ""},
		{Branch: "main", Domain: "preview.example.com", Tag: "a b"},
	} {
		if _, err := Preview(dir, p); err == nil {
			t.Errorf("Preview(%+v) succeeded", p)
		}
	}
}

func Quantity(s string) resource.Quantity { return resource.MustParse(s) }
