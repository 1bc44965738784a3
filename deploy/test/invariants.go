package deploytest

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	rollouts "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	monitoring "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The invariants every rendered environment must keep. Each check returns
// the problems it found as messages naming the object; docs/
// production-readiness.md lists the same rules for people.

// Labels every object and pod carries (the app.kubernetes.io set).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
)

// ServerLabels select koe's server pods.
var ServerLabels = map[string]string{LabelName: "koe", LabelComponent: "server"}

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// CheckObjects checks what every object must have: the labels, a namespace
// when ns is set (and the namespace object itself with Pod Security
// "restricted"), and no Secret (secret values never live in git).
func CheckObjects(objs []Object, ns string) []string {
	var p problems
	namespaces := OfKind(objs, "Namespace")
	if ns != "" {
		if len(namespaces) != 1 || namespaces[0].Meta.GetName() != ns {
			p.add("want exactly one Namespace %s, have %d", ns, len(namespaces))
		}
	}
	for _, o := range namespaces {
		l := o.Meta.GetLabels()
		for _, mode := range []string{"enforce", "warn", "audit"} {
			if l["pod-security.kubernetes.io/"+mode] != "restricted" {
				p.add("%s: label pod-security.kubernetes.io/%s is not restricted", o.ID(), mode)
			}
		}
	}
	for _, o := range objs {
		l := o.Meta.GetLabels()
		if l[LabelPartOf] != "koe" {
			p.add("%s: label %s=koe missing", o.ID(), LabelPartOf)
		}
		if o.GVK.Kind != "Namespace" && (l[LabelName] == "" || l[LabelComponent] == "") {
			p.add("%s: labels %s and %s are required", o.ID(), LabelName, LabelComponent)
		}
		if o.GVK.Kind == "Secret" {
			p.add("%s: a Secret in the manifests; secret values never go into git (docs/deployment.md, Secrets)", o.ID())
		}
		if ns != "" && o.GVK.Kind != "Namespace" && o.Meta.GetNamespace() != ns {
			p.add("%s: namespace is %q, want %q", o.ID(), o.Meta.GetNamespace(), ns)
		}
	}
	return p
}

var (
	passwordInURL = regexp.MustCompile(`://[^/@\s]*:[^/@\s]*@`)
	secretName    = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE|API_?KEY)`)
)

// CheckConfig checks the ConfigMaps and literal environment variables: no
// credentials (a password in a URL, a token or password as a literal), and
// only KOE_* variables that koe reads (known lists them), so a typo in a
// variable name cannot go unnoticed.
func CheckConfig(objs []Object, known map[string]bool) []string {
	var p problems
	check := func(where, key, value string) {
		if passwordInURL.MatchString(value) {
			p.add("%s: %s holds a URL with a password; use the Secret koe-secrets", where, key)
		}
		if secretName.MatchString(key) && value != "" {
			p.add("%s: %s looks like a secret but has a literal value", where, key)
		}
		if strings.HasPrefix(key, "KOE_") && !known[key] {
			p.add("%s: koe does not read %s (cmd/koe)", where, key)
		}
	}
	for _, o := range OfKind(objs, "ConfigMap") {
		cm := o.Obj.(*corev1.ConfigMap)
		for k, v := range cm.Data {
			check(o.ID(), k, v)
		}
	}
	for _, pod := range Pods(objs) {
		for _, c := range allContainers(pod.Spec) {
			for _, e := range c.Env {
				check(pod.Owner.ID()+" container "+c.Name, e.Name, e.Value)
				if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && strings.HasPrefix(r.SecretKeyRef.Key, "KOE_") && !known[r.SecretKeyRef.Key] {
					p.add("%s: secret key %s is not a variable koe reads", pod.Owner.ID(), r.SecretKeyRef.Key)
				}
			}
		}
	}
	return p
}

func allContainers(s *corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(s.InitContainers), s.Containers...)
}

// CheckPods checks every pod template and container: pinned images,
// requests and limits, the restricted security context, no service account
// token, no service links, probes on everything that runs for long.
func CheckPods(objs []Object) []string {
	var p problems
	pods := Pods(objs)
	if len(pods) == 0 {
		p.add("no pod templates at all")
	}
	for _, pod := range pods {
		id := pod.Owner.ID()
		s := pod.Spec
		if pod.Labels[LabelPartOf] != "koe" || pod.Labels[LabelName] == "" || pod.Labels[LabelComponent] == "" {
			p.add("%s: pod template needs labels %s, %s and %s=koe", id, LabelName, LabelComponent, LabelPartOf)
		}
		if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
			p.add("%s: automountServiceAccountToken must be false", id)
		}
		if s.EnableServiceLinks == nil || *s.EnableServiceLinks {
			p.add("%s: enableServiceLinks must be false (a Service named koe would inject KOE_* variables)", id)
		}
		if s.HostNetwork || s.HostPID || s.HostIPC {
			p.add("%s: host namespaces are not allowed", id)
		}
		for _, v := range s.Volumes {
			if v.HostPath != nil {
				p.add("%s: hostPath volume %s", id, v.Name)
			}
		}
		psc := s.SecurityContext
		if psc == nil {
			psc = &corev1.PodSecurityContext{}
		}
		if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			p.add("%s: runs as root", id)
		}
		for _, c := range allContainers(s) {
			cid := fmt.Sprintf("%s container %s", id, c.Name)
			p = append(p, checkImage(cid, c.Image)...)
			p = append(p, checkResources(cid, c.Resources)...)
			p = append(p, checkSecurity(cid, psc, c.SecurityContext)...)
			if pod.LongLife && (c.ReadinessProbe == nil || c.LivenessProbe == nil) {
				p.add("%s: readiness and liveness probes are required", cid)
			}
			if pod.LongLife && c.StartupProbe != nil && c.StartupProbe.FailureThreshold*max(c.StartupProbe.PeriodSeconds, 1) < 30 {
				p.add("%s: the startup probe gives up in under 30 s", cid)
			}
			if strings.HasPrefix(c.Image, Image+":") || strings.HasPrefix(c.Image, Image+"@") {
				p = append(p, checkKoeContainer(objs, pod, cid, c)...)
			}
		}
	}
	return p
}

func checkImage(id, image string) []string {
	var p problems
	name, digest, hasDigest := strings.Cut(image, "@")
	if hasDigest && !strings.HasPrefix(digest, "sha256:") {
		p.add("%s: bad digest in %q", id, image)
	}
	tag := ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	switch {
	case tag == "" && !hasDigest:
		p.add("%s: image %q has no tag: pin a version", id, image)
	case tag == "latest":
		p.add("%s: image %q uses latest: pin a version", id, image)
	}
	return p
}

func checkResources(id string, r corev1.ResourceRequirements) []string {
	var p problems
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := r.Requests[name]
		lim, okLim := r.Limits[name]
		if !okReq || !okLim {
			p.add("%s: %s request and limit are required", id, name)
			continue
		}
		if req.Cmp(lim) > 0 {
			p.add("%s: %s request %s exceeds its limit %s", id, name, req.String(), lim.String())
		}
		if req.IsZero() {
			p.add("%s: %s request is zero", id, name)
		}
	}
	return p
}

func checkSecurity(id string, psc *corev1.PodSecurityContext, sc *corev1.SecurityContext) []string {
	var p problems
	if sc == nil {
		return []string{id + ": securityContext is required"}
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		p.add("%s: allowPrivilegeEscalation must be false", id)
	}
	if sc.Privileged != nil && *sc.Privileged {
		p.add("%s: privileged", id)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		p.add("%s: readOnlyRootFilesystem must be true", id)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		p.add("%s: capabilities must drop ALL", id)
	} else if len(sc.Capabilities.Add) > 0 {
		p.add("%s: adds capabilities %v", id, sc.Capabilities.Add)
	}
	nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (sc.RunAsNonRoot == nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
	if !nonRoot {
		p.add("%s: runAsNonRoot must be true", id)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		p.add("%s: runs as root", id)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		p.add("%s: seccompProfile must be RuntimeDefault", id)
	}
	return p
}

// checkKoeContainer checks a container running the koe image: its
// configuration comes from koe-config and koe-secrets, /tmp is writable,
// and GOMEMLIMIT (when set) is below the memory limit. The server
// container also needs its probes, the drain timing and its two
// listeners: the public port http and the metrics port (checkListeners);
// koe scorer's, its own (checkScorerContainer).
func checkKoeContainer(objs []Object, pod Pod, id string, c corev1.Container) []string {
	var p problems
	s := pod.Spec
	var cm, sec bool
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil && strings.HasPrefix(e.ConfigMapRef.Name, "koe-config") {
			cm = true
		}
		if e.SecretRef != nil && e.SecretRef.Name == "koe-secrets" {
			sec = true
		}
	}
	bench := len(c.Args) > 0 && c.Args[0] == "bench"
	// koe scorer reads only its own few variables and must hold no secret
	// (checkScorerContainer).
	scorer := len(c.Args) > 0 && c.Args[0] == "scorer"
	if !bench && !scorer && (!cm || !sec) {
		p.add("%s: envFrom must name the ConfigMap koe-config and the Secret koe-secrets", id)
	}
	tmp := false
	for _, m := range c.VolumeMounts {
		if m.MountPath == "/tmp" {
			for _, v := range s.Volumes {
				if v.Name == m.Name && v.EmptyDir != nil {
					tmp = true
				}
			}
		}
	}
	if !tmp {
		p.add("%s: needs an emptyDir at /tmp (the root filesystem is read-only)", id)
	}
	for _, e := range c.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		limit, ok := c.Resources.Limits[corev1.ResourceMemory]
		v, err := parseGoMemLimit(e.Value)
		if err != nil || !ok || v >= limit.Value() || v < limit.Value()/2 {
			p.add("%s: GOMEMLIMIT %q must lie between half of and the memory limit %s", id, e.Value, limit.String())
		}
	}
	if scorer && pod.LongLife {
		return append(p, checkScorerContainer(objs, pod, id, c)...)
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		return p
	}
	// The server.
	port := false
	for _, cp := range c.Ports {
		if cp.Name == "http" && cp.ContainerPort == 8080 {
			port = true
		}
	}
	if !port {
		p.add("%s: needs the container port http (8080)", id)
	}
	probe := func(what string, pr *corev1.Probe, path string) {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != path || pr.HTTPGet.Port.String() != "http" {
			p.add("%s: %s probe must GET %s on port http", id, what, path)
		}
	}
	probe("startup", c.StartupProbe, "/healthz")
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds < 5 {
		p.add("%s: needs a preStop sleep of at least 5 s so endpoints drop the pod before it drains", id)
	}
	if len(s.TopologySpreadConstraints) == 0 {
		p.add("%s: pods need topologySpreadConstraints", id)
	}
	p = append(p, checkListeners(objs, pod, id, c)...)
	return p
}

// koe serve's listeners. The public one (KOE_ADDR, port http) serves the
// app, the API, the real-time streams and the probes, and never /metrics;
// Prometheus metrics have their own listener (KOE_METRICS_ADDR, port
// metrics), whose default in koe is loopback only, so Kubernetes must set
// it to every pod address. pprof (KOE_DEBUG_ADDR) is opt-in and never
// exposed by the kit.
const (
	HTTPPortName    = "http"
	HTTPPort        = 8080
	MetricsPortName = "metrics"
	MetricsPort     = 9090
	MetricsPath     = "/metrics"
)

// The only peers that may reach the metrics port: Prometheus's pods, as
// base/networkpolicy.yaml identifies them (the kube-prometheus-stack
// chart's labels; patch both together if yours differ).
var (
	MonitoringNamespace = "monitoring"
	PrometheusPodLabels = map[string]string{LabelName: "prometheus"}
)

// envValue is a variable as a container will see it: a literal value, or
// a downward API field.
type envValue struct {
	value     string
	fieldPath string
}

// containerEnv resolves a container's environment as the kubelet would,
// as far as the manifests tell: envFrom sources in order (a later one
// wins; ConfigMaps found among objs, Secrets unknown), then env, which
// overrides them. Values from Secrets outside the manifests are missing.
func containerEnv(objs []Object, c corev1.Container) map[string]envValue {
	env := map[string]envValue{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		if o := Find(objs, "ConfigMap", from.ConfigMapRef.Name); o != nil {
			for k, v := range o.Obj.(*corev1.ConfigMap).Data {
				env[from.Prefix+k] = envValue{value: v}
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = envValue{value: e.Value}
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = envValue{fieldPath: e.ValueFrom.FieldRef.FieldPath}
		default:
			delete(env, e.Name) // from a Secret or a resource: unknown here
		}
	}
	return env
}

// checkListeners checks koe serve's ports and listen addresses: the
// container ports http (8080) and metrics (9090) and no other (pprof is
// never exposed), KOE_METRICS_ADDR on a non-loopback address at the
// metrics port, KOE_ADDR (when set) at the http port, KOE_DEBUG_ADDR (when
// set) on loopback, and scrape annotations (when present) on the metrics
// port.
func checkListeners(objs []Object, pod Pod, id string, c corev1.Container) []string {
	var p problems
	var metrics bool
	for _, cp := range c.Ports {
		switch {
		case cp.Name == HTTPPortName && cp.ContainerPort == HTTPPort:
		case cp.Name == MetricsPortName && cp.ContainerPort == MetricsPort && (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP):
			metrics = true
		default:
			p.add("%s: koe serve declares only the ports http (%d) and metrics (%d), not %s %d; pprof (KOE_DEBUG_ADDR) is never exposed",
				id, HTTPPort, MetricsPort, cp.Name, cp.ContainerPort)
		}
	}
	if !metrics {
		p.add("%s: needs the container port metrics (%d/TCP): Prometheus scrapes the metrics listener there", id, MetricsPort)
	}
	env := containerEnv(objs, c)
	if v, ok := env["KOE_METRICS_ADDR"]; !ok {
		p.add("%s: KOE_METRICS_ADDR must be set to :%d (koe's default, 127.0.0.1:%d, cannot be scraped from outside the pod)", id, MetricsPort, MetricsPort)
	} else if err := metricsAddr(v.value, env); err != nil {
		p.add("%s: KOE_METRICS_ADDR %q: %v", id, v.value, err)
	}
	if v, ok := env["KOE_ADDR"]; ok {
		if _, port, err := net.SplitHostPort(v.value); err != nil || port != strconv.Itoa(HTTPPort) {
			p.add("%s: KOE_ADDR %q must listen on port %d, the container port http", id, v.value, HTTPPort)
		}
	}
	if v, ok := env["KOE_DEBUG_ADDR"]; ok && v.value != "" {
		if host, _, err := net.SplitHostPort(v.value); err != nil || !loopback(host) {
			p.add("%s: KOE_DEBUG_ADDR %q serves pprof: keep it on loopback (127.0.0.1:PORT) or unset, never reachable from outside the pod", id, v.value)
		}
	}
	if a := pod.Annotations; a["prometheus.io/scrape"] == "true" {
		if a["prometheus.io/port"] != strconv.Itoa(MetricsPort) || (a["prometheus.io/path"] != "" && a["prometheus.io/path"] != MetricsPath) {
			p.add("%s: the prometheus.io annotations must scrape %s on port %d (the metrics listener), not %q %q",
				pod.Owner.ID(), MetricsPath, MetricsPort, a["prometheus.io/port"], a["prometheus.io/path"])
		}
	}
	return p
}

// metricsAddr checks a KOE_METRICS_ADDR value: port 9090 on every address
// (":9090", "0.0.0.0:9090", "[::]:9090"), on a non-loopback address, or on
// the pod's IP from the downward API ("$(POD_IP):9090").
func metricsAddr(addr string, env map[string]envValue) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not HOST:PORT: %v", err)
	}
	if port != strconv.Itoa(MetricsPort) {
		return fmt.Errorf("must listen on port %d, the container port metrics", MetricsPort)
	}
	if m := envRefRE.FindStringSubmatch(host); m != nil {
		if v, ok := env[m[1]]; ok && (v.fieldPath == "status.podIP") {
			return nil
		}
		return fmt.Errorf("$(%s) is not the pod's IP (fieldRef status.podIP)", m[1])
	}
	if host == "" {
		return nil
	}
	if loopback(host) {
		return fmt.Errorf("loopback: Prometheus cannot scrape it; use :%d", MetricsPort)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Errorf("host %q: use :%d, or an IP address", host, MetricsPort)
	}
	return nil
}

var envRefRE = regexp.MustCompile(`^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$`)

// loopback reports whether host names only the loopback interface.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// parseGoMemLimit parses GOMEMLIMIT's syntax: bytes with an optional
// B, KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

// CheckServer checks the objects around koe's server pods: the Service koe,
// the ServiceAccount, the PodDisruptionBudget, the HorizontalPodAutoscaler
// (when there is one), the NetworkPolicy and the grace period.
func CheckServer(objs []Object, cfg map[string]string) []string {
	var p problems
	server := serverPods(objs)
	if len(server) == 0 {
		return []string{"no koe server pod template (Deployment koe with label component=server)"}
	}
	tmpl := server[0]
	if sa := Find(objs, "ServiceAccount", "koe"); sa == nil {
		p.add("ServiceAccount koe missing")
	} else if a := sa.Obj.(*corev1.ServiceAccount).AutomountServiceAccountToken; a == nil || *a {
		p.add("ServiceAccount koe: automountServiceAccountToken must be false")
	}
	if tmpl.Spec.ServiceAccountName != "koe" {
		p.add("%s: serviceAccountName must be koe", tmpl.Owner.ID())
	}

	// Grace period: preStop + KOE_DRAIN_TIMEOUT + 5 s at least.
	drain, err := time.ParseDuration(cfg["KOE_DRAIN_TIMEOUT"])
	if err != nil {
		p.add("KOE_DRAIN_TIMEOUT missing from koe-config: %v", err)
	}
	var preStop int64
	for _, c := range tmpl.Spec.Containers {
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			preStop = c.Lifecycle.PreStop.Sleep.Seconds
		}
	}
	need := preStop + int64(drain/time.Second) + 5
	if g := tmpl.Spec.TerminationGracePeriodSeconds; g == nil || *g < need {
		p.add("%s: terminationGracePeriodSeconds must be at least preStop + KOE_DRAIN_TIMEOUT + 5 = %d", tmpl.Owner.ID(), need)
	}

	svc := Find(objs, "Service", "koe")
	if svc == nil {
		p.add("Service koe missing: it is koe's stable name")
	} else {
		s := svc.Obj.(*corev1.Service)
		if s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP {
			p.add("Service koe must be ClusterIP, is %s", s.Spec.Type)
		}
		if !selects(s.Spec.Selector, tmpl.Labels) {
			p.add("Service koe does not select the server pods")
		}
		if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Name != "http" || s.Spec.Ports[0].TargetPort.String() != "http" {
			p.add("Service koe must have one port named http targeting the container port http")
		}
	}

	pdbs := OfKind(objs, "PodDisruptionBudget")
	found := false
	for _, o := range pdbs {
		pdb := o.Obj.(*policyv1.PodDisruptionBudget)
		if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && sel.Matches(labels.Set(tmpl.Labels)) {
			found = true
			if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
				p.add("%s: neither maxUnavailable nor minAvailable", o.ID())
			}
		}
	}
	if !found {
		p.add("no PodDisruptionBudget selects the server pods")
	}

	for _, o := range OfKind(objs, "HorizontalPodAutoscaler") {
		h := o.Obj.(*autoscalingv2.HorizontalPodAutoscaler)
		if o.GVK.Version != "v2" {
			p.add("%s: use autoscaling/v2", o.ID())
		}
		ref := h.Spec.ScaleTargetRef
		if t := Find(objs, ref.Kind, ref.Name); t == nil {
			p.add("%s: scale target %s %s is not in the manifests", o.ID(), ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			p.add("%s: minReplicas must be at least 2 and at most maxReplicas", o.ID())
		}
		if h.Spec.Behavior == nil || h.Spec.Behavior.ScaleDown == nil || h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds == nil || *h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds < 300 {
			p.add("%s: scale down slowly (stabilizationWindowSeconds >= 300): each removed pod reconnects its clients", o.ID())
		}
	}

	p = append(p, checkNetworkPolicy(objs, tmpl)...)
	return p
}

func serverPods(objs []Object) []Pod {
	var out []Pod
	for _, pod := range Pods(objs) {
		if pod.LongLife && selects(ServerLabels, pod.Labels) {
			out = append(out, pod)
		}
	}
	return out
}

// selects reports whether a selector (a map of labels) matches labels.
func selects(sel, l map[string]string) bool {
	return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(l))
}

// Allowed peers and ports of the server's NetworkPolicy.
var (
	allowedIngressNamespaces = []string{"ingress-nginx", "monitoring"}
	allowedEgressPorts       = []int32{53, 5432, 6379, 443}
)

func checkNetworkPolicy(objs []Object, tmpl Pod) []string {
	var p problems
	var np *networkingv1.NetworkPolicy
	for _, o := range OfKind(objs, "NetworkPolicy") {
		n := o.Obj.(*networkingv1.NetworkPolicy)
		if o.Meta.GetName() == "koe" {
			np = n
		}
	}
	if np == nil {
		return []string{"NetworkPolicy koe missing"}
	}
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil || !sel.Matches(labels.Set(tmpl.Labels)) || sel.Empty() {
		p.add("NetworkPolicy koe must select the server pods (and only them)")
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		p.add("NetworkPolicy koe must restrict both Ingress and Egress")
	}
	if len(np.Spec.Ingress) == 0 {
		p.add("NetworkPolicy koe admits nobody: the ingress controller must reach koe")
	}
	var scraped, public bool
	for _, rule := range np.Spec.Ingress {
		if len(rule.From) == 0 {
			p.add("NetworkPolicy koe: an ingress rule admits every source")
		}
		for _, peer := range rule.From {
			if peer.IPBlock != nil || peer.NamespaceSelector == nil || peer.PodSelector == nil ||
				!slices.Contains(allowedIngressNamespaces, peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]) {
				p.add("NetworkPolicy koe: ingress only from the pods of namespaces %v", allowedIngressNamespaces)
			}
			if isPrometheus(peer) {
				// Prometheus scrapes the metrics listener and needs nothing else.
				if len(rule.Ports) == 1 && rule.Ports[0].Port != nil && rule.Ports[0].EndPort == nil &&
					(rule.Ports[0].Port.String() == MetricsPortName || rule.Ports[0].Port.String() == strconv.Itoa(MetricsPort)) {
					scraped = true
				} else {
					p.add("NetworkPolicy koe: Prometheus must be admitted to the port metrics only, not %v", portList(rule.Ports))
				}
			}
			if peer.NamespaceSelector != nil && peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "ingress-nginx" &&
				(len(rule.Ports) == 0 || slices.ContainsFunc(rule.Ports, func(pp networkingv1.NetworkPolicyPort) bool {
					return pp.Port == nil || pp.Port.String() == HTTPPortName || pp.Port.String() == strconv.Itoa(HTTPPort) ||
						(pp.EndPort != nil && pp.Port.Type == intstr.Int && pp.Port.IntVal <= HTTPPort && HTTPPort <= *pp.EndPort)
				})) {
				public = true
			}
		}
	}
	if !scraped {
		p.add("NetworkPolicy koe: no rule admits Prometheus (namespace %s, pods %v) to the port metrics", MonitoringNamespace, PrometheusPodLabels)
	}
	if !public {
		p.add("NetworkPolicy koe: no rule admits the ingress controller to the port http")
	}
	for _, rule := range np.Spec.Egress {
		if len(rule.Ports) == 0 {
			p.add("NetworkPolicy koe: an egress rule allows every port")
		}
		if scorerEgress(rule) {
			continue // components/scorer: the scorer's pods, on its port
		}
		for _, port := range rule.Ports {
			if port.Port == nil || !slices.Contains(allowedEgressPorts, port.Port.IntVal) || port.EndPort != nil {
				p.add("NetworkPolicy koe: egress only to DNS, PostgreSQL, Redis and HTTPS (%v), and to the scorer's pods %v on %d",
					allowedEgressPorts, ScorerLabels, ScorerPort)
			}
		}
	}
	return p
}

// isPrometheus reports whether a NetworkPolicy peer is exactly Prometheus's
// pods: the namespace monitoring and the pod labels PrometheusPodLabels,
// nothing wider.
func isPrometheus(peer networkingv1.NetworkPolicyPeer) bool {
	ns, pod := peer.NamespaceSelector, peer.PodSelector
	return peer.IPBlock == nil && ns != nil && pod != nil &&
		len(ns.MatchExpressions) == 0 && maps.Equal(ns.MatchLabels, map[string]string{"kubernetes.io/metadata.name": MonitoringNamespace}) &&
		len(pod.MatchExpressions) == 0 && len(pod.MatchLabels) > 0 && maps.Equal(pod.MatchLabels, PrometheusPodLabels)
}

// coversMetrics reports whether a NetworkPolicy rule's ports include the
// metrics port: by name, by number or range, or because it lists none
// (every port).
func coversMetrics(ports []networkingv1.NetworkPolicyPort) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		if pp.Protocol != nil && *pp.Protocol != corev1.ProtocolTCP {
			continue
		}
		switch {
		case pp.Port == nil:
			return true
		case pp.Port.Type == intstr.String:
			if pp.Port.StrVal == MetricsPortName {
				return true
			}
		case pp.Port.IntVal == MetricsPort || (pp.EndPort != nil && pp.Port.IntVal <= MetricsPort && MetricsPort <= *pp.EndPort):
			return true
		}
	}
	return false
}

func portList(ports []networkingv1.NetworkPolicyPort) []string {
	if len(ports) == 0 {
		return []string{"every port"}
	}
	var out []string
	for _, pp := range ports {
		switch {
		case pp.Port == nil:
			out = append(out, "every port")
		case pp.EndPort != nil:
			out = append(out, fmt.Sprintf("%s-%d", pp.Port.String(), *pp.EndPort))
		default:
			out = append(out, pp.Port.String())
		}
	}
	return out
}

// CheckMetricsExposure checks that koe's metrics stay inside the cluster,
// for Prometheus only: no Ingress backend leads to the metrics port, and
// no port of a Service that an Ingress routes to does (counting the
// Services of a Rollout whose traffic ingress-nginx splits: the controller
// makes a canary Ingress for its canaryService); and every NetworkPolicy
// that selects the server pods admits the metrics port from Prometheus's
// pods only (NetworkPolicies add up, so one lax policy opens it to all).
func CheckMetricsExposure(objs []Object) []string {
	var p problems
	// A Service port leads to the metrics port when its targetPort (or,
	// without one, its port) names or numbers it.
	toMetrics := func(sp corev1.ServicePort) bool {
		t := sp.TargetPort
		if t.Type == intstr.String && t.StrVal != "" {
			return t.StrVal == MetricsPortName
		}
		if t.Type == intstr.Int && t.IntVal != 0 {
			return t.IntVal == MetricsPort
		}
		return sp.Port == MetricsPort
	}
	routed := map[string][]string{} // Service → the Ingresses (or Rollouts) that route to it
	checkBackend := func(where string, b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			return
		}
		bs := b.Service
		if bs.Port.Name == MetricsPortName || bs.Port.Number == MetricsPort {
			p.add("%s: routes to the metrics port of Service %s; /metrics must never be reachable through an Ingress", where, bs.Name)
		}
		routed[bs.Name] = append(routed[bs.Name], where)
		if o := Find(objs, "Service", bs.Name); o != nil {
			for _, sp := range o.Obj.(*corev1.Service).Spec.Ports {
				if (bs.Port.Name != "" && sp.Name == bs.Port.Name || bs.Port.Number != 0 && sp.Port == bs.Port.Number) && toMetrics(sp) {
					p.add("%s: routes to Service %s port %s, which leads to the metrics port; /metrics must never be reachable through an Ingress", where, bs.Name, sp.Name)
				}
			}
		}
	}
	for _, o := range OfKind(objs, "Ingress") {
		ing := o.Obj.(*networkingv1.Ingress)
		checkBackend(o.ID(), ing.Spec.DefaultBackend)
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for i := range r.HTTP.Paths {
				checkBackend(o.ID(), &r.HTTP.Paths[i].Backend)
			}
		}
	}
	for _, o := range OfKind(objs, "Rollout") {
		c := o.Obj.(*rollouts.Rollout).Spec.Strategy.Canary
		if c != nil && c.TrafficRouting != nil && c.TrafficRouting.Nginx != nil {
			for _, svc := range []string{c.StableService, c.CanaryService} {
				if svc != "" {
					routed[svc] = append(routed[svc], o.ID()+" (ingress-nginx canary)")
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(routed)) {
		o := Find(objs, "Service", name)
		if o == nil {
			continue
		}
		for _, sp := range o.Obj.(*corev1.Service).Spec.Ports {
			if toMetrics(sp) {
				p.add("%s: port %s leads to the metrics port, but %v route to this Service; Prometheus scrapes the pods, so leave the metrics port out of it",
					o.ID(), sp.Name, slices.Compact(routed[name]))
			}
		}
	}

	server := map[string]string{LabelPartOf: "koe"}
	maps.Copy(server, ServerLabels)
	if pods := serverPods(objs); len(pods) > 0 {
		server = pods[0].Labels
	}
	for _, o := range OfKind(objs, "NetworkPolicy") {
		np := o.Obj.(*networkingv1.NetworkPolicy)
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(server)) {
			continue
		}
		for _, rule := range np.Spec.Ingress {
			if !coversMetrics(rule.Ports) {
				continue
			}
			if len(rule.From) == 0 {
				p.add("%s: admits every source to the metrics port (ports %v); only Prometheus may reach it", o.ID(), portList(rule.Ports))
			}
			for _, peer := range rule.From {
				if !isPrometheus(peer) {
					p.add("%s: admits %s to the metrics port (ports %v); only Prometheus (namespace %s, pods %v) may reach it",
						o.ID(), peerString(peer), portList(rule.Ports), MonitoringNamespace, PrometheusPodLabels)
				}
			}
		}
	}
	return p
}

func peerString(peer networkingv1.NetworkPolicyPeer) string {
	var parts []string
	if peer.IPBlock != nil {
		parts = append(parts, "ipBlock "+peer.IPBlock.CIDR)
	}
	if peer.NamespaceSelector != nil {
		parts = append(parts, "namespaces "+metav1.FormatLabelSelector(peer.NamespaceSelector))
	} else if peer.PodSelector != nil {
		parts = append(parts, "this namespace's")
	}
	if peer.PodSelector != nil {
		parts = append(parts, "pods "+metav1.FormatLabelSelector(peer.PodSelector))
	}
	return strings.Join(parts, " ")
}

// CheckIngress checks the Ingress koe: class nginx, koe's Service, timeouts
// long enough for WebSocket and SSE, no buffering, and when it has TLS the
// cert-manager and external-dns annotations naming its host. It returns the
// host.
func CheckIngress(objs []Object, wantTLS bool) (string, []string) {
	var p problems
	o := Find(objs, "Ingress", "koe")
	if o == nil {
		return "", []string{"Ingress koe missing"}
	}
	ing := o.Obj.(*networkingv1.Ingress)
	a := ing.Annotations
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		p.add("Ingress koe: ingressClassName must be nginx")
	}
	for _, k := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		v, err := strconv.Atoi(a["nginx.ingress.kubernetes.io/"+k])
		if err != nil || v < 300 {
			p.add("Ingress koe: nginx.ingress.kubernetes.io/%s must be at least 300 s for WebSocket and SSE", k)
		}
	}
	if a["nginx.ingress.kubernetes.io/proxy-buffering"] != "off" {
		p.add("Ingress koe: proxy-buffering must be off for SSE")
	}
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].HTTP == nil || len(ing.Spec.Rules[0].HTTP.Paths) != 1 {
		return "", append(p, "Ingress koe: want one rule with one path")
	}
	rule := ing.Spec.Rules[0]
	host := rule.Host
	b := rule.HTTP.Paths[0].Backend.Service
	if b == nil || b.Name != "koe" || b.Port.Name != "http" {
		p.add("Ingress koe: the backend must be the Service koe, port http")
	}
	if !wantTLS {
		return host, p
	}
	if len(ing.Spec.TLS) != 1 || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{host}) || ing.Spec.TLS[0].SecretName == "" {
		p.add("Ingress koe: TLS must cover exactly the host %s", host)
	}
	if a["cert-manager.io/cluster-issuer"] == "" && a["cert-manager.io/issuer"] == "" {
		p.add("Ingress koe: cert-manager issuer annotation missing")
	}
	if a["external-dns.alpha.kubernetes.io/hostname"] != host {
		p.add("Ingress koe: external-dns hostname %q differs from the host %q", a["external-dns.alpha.kubernetes.io/hostname"], host)
	}
	if a["nginx.ingress.kubernetes.io/ssl-redirect"] != "true" {
		p.add("Ingress koe: ssl-redirect must be true")
	}
	return host, p
}

// ConfigData returns the merged data of the koe-config ConfigMap.
func ConfigData(objs []Object) map[string]string {
	for _, o := range OfKind(objs, "ConfigMap") {
		if strings.HasPrefix(o.Meta.GetName(), "koe-config") {
			return o.Obj.(*corev1.ConfigMap).Data
		}
	}
	return nil
}

// CheckCanary checks the production release: an Argo Rollouts canary over
// the base Deployment's template, 10% → analysis → 50% → analysis, judged
// by an AnalysisTemplate on koe's own metrics, with traffic split by
// ingress-nginx between the Services koe and koe-canary.
func CheckCanary(objs []Object) []string {
	var p problems
	o := Find(objs, "Rollout", "koe")
	if o == nil {
		return []string{"Rollout koe missing"}
	}
	r := o.Obj.(*rollouts.Rollout)
	if w := r.Spec.WorkloadRef; w == nil || w.Kind != "Deployment" || w.Name != "koe" {
		p.add("Rollout koe must take its template from the Deployment koe (workloadRef)")
	}
	if d := Find(objs, "Deployment", "koe"); d != nil {
		dep := d.Obj.(*appsv1.Deployment)
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 0 {
			p.add("Deployment koe must be scaled to 0: the Rollout runs the pods")
		}
		if !selects(r.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) {
			p.add("Rollout koe's selector does not match the template's labels")
		}
	}
	if !r.Spec.ProgressDeadlineAbort {
		p.add("Rollout koe: progressDeadlineAbort must be true")
	}
	c := r.Spec.Strategy.Canary
	if c == nil {
		return append(p, "Rollout koe: the strategy must be canary")
	}
	if c.StableService != "koe" || Find(objs, "Service", c.CanaryService) == nil {
		p.add("Rollout koe: stableService must be koe and canaryService an existing Service")
	}
	if c.TrafficRouting == nil || c.TrafficRouting.Nginx == nil || c.TrafficRouting.Nginx.StableIngress != "koe" {
		p.add("Rollout koe: traffic must be routed by ingress-nginx on the Ingress koe")
	}
	var shape []string
	for _, s := range c.Steps {
		switch {
		case s.SetWeight != nil:
			shape = append(shape, strconv.Itoa(int(*s.SetWeight)))
		case s.Analysis != nil:
			shape = append(shape, "analysis")
			for _, t := range s.Analysis.Templates {
				if (t.ClusterScope != nil && *t.ClusterScope) || Find(objs, "AnalysisTemplate", t.TemplateName) == nil {
					p.add("Rollout koe: analysis template %s is not in the manifests", t.TemplateName)
				}
			}
			args := map[string]bool{}
			for _, a := range s.Analysis.Args {
				args[a.Name] = true
			}
			if !args["canary-hash"] || !args["namespace"] {
				p.add("Rollout koe: analysis steps must pass canary-hash and namespace")
			}
		default:
			shape = append(shape, "other")
		}
	}
	if strings.Join(shape, " ") != "10 analysis 50 analysis" {
		p.add("Rollout koe: steps are %v, want 10%% → analysis → 50%% → analysis → 100%%", shape)
	}
	p = append(p, checkAnalysis(objs)...)
	return p
}

// AnalysisMetrics are the metrics the canary must be judged on, by the
// series their query must use.
var AnalysisMetrics = map[string]string{
	"error-ratio":          `koe_http_requests_total{`,
	"request-latency-p99":  `koe_http_request_duration_seconds_bucket{`,
	"delivery-latency-p99": `koe_realtime_delivery_seconds_bucket{`,
}

func checkAnalysis(objs []Object) []string {
	var p problems
	o := Find(objs, "AnalysisTemplate", "koe-canary")
	if o == nil {
		return []string{"AnalysisTemplate koe-canary missing"}
	}
	at := o.Obj.(*rollouts.AnalysisTemplate)
	seen := map[string]bool{}
	for _, m := range at.Spec.Metrics {
		seen[m.Name] = true
		prom := m.Provider.Prometheus
		if prom == nil {
			p.add("analysis %s: want a Prometheus query", m.Name)
			continue
		}
		q := prom.Query
		if !strings.Contains(q, `rollouts_pod_template_hash="{{args.canary-hash}}"`) || !strings.Contains(q, `namespace="{{args.namespace}}"`) {
			p.add("analysis %s: the query must select the canary's pods and namespace", m.Name)
		}
		if m.SuccessCondition == "" || m.Count == nil || m.Interval == "" {
			p.add("analysis %s: successCondition, count and interval are required", m.Name)
		}
		if m.ConsecutiveErrorLimit == nil || m.ConsecutiveErrorLimit.IntValue() < 1 {
			p.add("analysis %s: set consecutiveErrorLimit", m.Name)
		}
		if err := checkPromQL(q); err != nil {
			p.add("analysis %s: PromQL: %v", m.Name, err)
		}
		if want, ok := AnalysisMetrics[m.Name]; ok && !strings.Contains(q, want) {
			p.add("analysis %s: the query must use %s…}", m.Name, want)
		}
	}
	for name := range AnalysisMetrics {
		if !seen[name] {
			p.add("analysis metric %s missing", name)
		}
	}
	if q := metricQuery(at, "error-ratio"); q != "" && !strings.Contains(q, `code=~"5.."`) {
		p.add(`analysis error-ratio: count 5xx as code=~"5.."`)
	}
	return p
}

var (
	matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)
	rangeRE   = regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`)
)

// checkPromQL is a light syntax check of a query, with Argo's
// {{args.…}} placeholders in it: brackets balance outside strings, every
// label matcher reads name op "value" with a valid RE2 value for =~ and !~,
// and every range is a duration. It catches the typos that neither the API
// server nor Argo Rollouts would notice before a release's analysis.
func checkPromQL(q string) error {
	q = regexp.MustCompile(`\{\{\s*args\.[a-z0-9-]+\s*\}\}`).ReplaceAllString(q, "x")
	var stack []byte
	var body strings.Builder
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		if inString {
			body.WriteByte(c)
			if c == '\\' && i+1 < len(q) {
				i++
				body.WriteByte(q[i])
			} else if c == '"' {
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			body.WriteByte(c)
		case '(', '[', '{':
			stack = append(stack, c)
			body.Reset()
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return fmt.Errorf("unbalanced %q at %d", c, i)
			}
			stack = stack[:len(stack)-1]
			inner := body.String()
			switch c {
			case '}':
				for _, m := range strings.Split(inner, ",") {
					if strings.TrimSpace(m) == "" {
						continue
					}
					sub := matcherRE.FindStringSubmatch(m)
					if sub == nil {
						return fmt.Errorf("label matcher %q", strings.TrimSpace(m))
					}
					if sub[2] == "=~" || sub[2] == "!~" {
						if _, err := regexp.Compile("^(?:" + sub[3] + ")$"); err != nil {
							return fmt.Errorf("regular expression in %q: %v", strings.TrimSpace(m), err)
						}
					}
				}
			case ']':
				if !rangeRE.MatchString(strings.TrimSpace(inner)) {
					return fmt.Errorf("range [%s]", inner)
				}
			}
			body.Reset()
		default:
			body.WriteByte(c)
		}
	}
	if inString || len(stack) > 0 {
		return fmt.Errorf("unterminated string or bracket")
	}
	return nil
}

func metricQuery(at *rollouts.AnalysisTemplate, name string) string {
	for _, m := range at.Spec.Metrics {
		if m.Name == name && m.Provider.Prometheus != nil {
			return m.Provider.Prometheus.Query
		}
	}
	return ""
}

// CheckPodMonitor checks that Prometheus Operator scrapes the server pods'
// metrics port, with the label the canary analysis selects on.
func CheckPodMonitor(objs []Object) []string {
	o := Find(objs, "PodMonitor", "koe")
	if o == nil {
		return []string{"PodMonitor koe missing"}
	}
	pm := o.Obj.(*monitoring.PodMonitor)
	var p problems
	if !selects(pm.Spec.Selector.MatchLabels, ServerLabels) {
		p.add("PodMonitor koe must select the server pods")
	}
	if !slices.Contains(pm.Spec.PodTargetLabels, "rollouts-pod-template-hash") {
		p.add("PodMonitor koe must copy rollouts-pod-template-hash onto the series")
	}
	if eps := pm.Spec.PodMetricsEndpoints; len(eps) != 1 || eps[0].Port == nil || *eps[0].Port != MetricsPortName ||
		eps[0].PortNumber != nil || eps[0].TargetPort != nil || (eps[0].Path != "" && eps[0].Path != MetricsPath) {
		p.add("PodMonitor koe must scrape %s on the pod port %s (the metrics listener, %d), and nothing else", MetricsPath, MetricsPortName, MetricsPort)
	}
	return p
}
