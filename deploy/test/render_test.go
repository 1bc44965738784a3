package deploytest

import (
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/evaluate"
	"github.com/sirupsen/logrus"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/resmap"
)

// environment is one rendered deployment and what is special about it.
type environment struct {
	name      string
	dir       string // under deploy/k8s; empty for preview
	preview   *PreviewParams
	namespace string // "" for jobs/bench, applied with kubectl -n
	check     func(t *testing.T, objs []Object)
}

var environments = []environment{
	{name: "dev", dir: "overlays/dev", namespace: "koe-dev", check: checkDev},
	{name: "staging", dir: "overlays/staging", namespace: "koe-staging", check: checkStaging},
	{name: "production", dir: "overlays/production", namespace: "koe-production", check: checkProduction},
	{
		name: "preview", namespace: "koe-preview-feature-oidc-login",
		preview: &PreviewParams{Branch: "feature/OIDC-login", Domain: "preview.example.com", Tag: "0123456789abcdef0123456789abcdef01234567"},
		check:   checkPreview,
	},
	{name: "bench", dir: "jobs/bench", check: checkBench},
}

func render(t *testing.T, e environment) []Object {
	t.Helper()
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	var rm resmap.ResMap
	if e.preview != nil {
		rm, err = Preview(dir, *e.preview)
	} else {
		rm, err = Render(filepath.Join(dir, e.dir))
	}
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(rm)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func report(t *testing.T, what string, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("%s: %s", what, p)
	}
}

// TestEnvironments renders every environment, decodes each object strictly
// into its Go type and checks the invariants of docs/production-readiness.md.
func TestEnvironments(t *testing.T) {
	known := koeVariables(t)
	for _, e := range environments {
		t.Run(e.name, func(t *testing.T) {
			objs := render(t, e)
			report(t, "objects", CheckObjects(objs, e.namespace))
			report(t, "config", CheckConfig(objs, known))
			report(t, "pods", CheckPods(objs))
			report(t, "metrics", CheckMetricsExposure(objs))
			report(t, "scorer", CheckScorer(objs))
			report(t, "scorers", CheckScorers(objs))
			e.check(t, objs)
		})
	}
}

// checkApp checks what every environment that runs koe has in common.
func checkApp(t *testing.T, objs []Object, tls bool) (host string) {
	t.Helper()
	cfg := ConfigData(objs)
	if cfg == nil {
		t.Fatal("ConfigMap koe-config missing")
	}
	report(t, "server", CheckServer(objs, cfg))
	host, problems := CheckIngress(objs, tls)
	report(t, "ingress", problems)
	if u, err := url.Parse(cfg["KOE_PUBLIC_URL"]); err != nil || u.Host != host {
		t.Errorf("KOE_PUBLIC_URL %q does not name the ingress host %q", cfg["KOE_PUBLIC_URL"], host)
	} else if tls != (u.Scheme == "https") {
		t.Errorf("KOE_PUBLIC_URL %q: https exactly when the ingress has TLS", cfg["KOE_PUBLIC_URL"])
	}
	checkJob(t, objs, "koe-migrate", "migrate")
	return host
}

func checkJob(t *testing.T, objs []Object, name string, args ...string) *batchv1.Job {
	t.Helper()
	o := Find(objs, "Job", name)
	if o == nil {
		t.Errorf("Job %s missing", name)
		return nil
	}
	j := o.Obj.(*batchv1.Job)
	c := j.Spec.Template.Spec.Containers
	if len(c) != 1 || !strings.HasPrefix(c[0].Image, Image+":") || strings.Join(c[0].Args, " ") != strings.Join(args, " ") {
		t.Errorf("Job %s must run the koe image with %q", name, args)
	}
	if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || j.Spec.BackoffLimit == nil || j.Spec.ActiveDeadlineSeconds == nil {
		t.Errorf("Job %s: restartPolicy Never, a backoffLimit and an activeDeadlineSeconds bound every run", name)
	}
	return j
}

func serverReplicas(t *testing.T, objs []Object) int32 {
	t.Helper()
	o := Find(objs, "Deployment", "koe")
	if o == nil {
		t.Fatal("Deployment koe missing")
	}
	r := o.Obj.(*appsv1.Deployment).Spec.Replicas
	if r == nil {
		return -1 // left to the HPA
	}
	return *r
}

// checkInClusterData checks dev and preview: PostgreSQL and Redis in the
// namespace under their stable names, koe pointed at them, the seed Job,
// one replica and no autoscaler.
func checkInClusterData(t *testing.T, objs []Object) {
	t.Helper()
	if r := serverReplicas(t, objs); r != 1 {
		t.Errorf("one koe replica wanted, have %d", r)
	}
	if len(OfKind(objs, "HorizontalPodAutoscaler")) != 0 {
		t.Error("no HorizontalPodAutoscaler with one replica")
	}
	if Find(objs, "StatefulSet", "postgres") == nil || Find(objs, "Service", "postgres") == nil {
		t.Error("PostgreSQL must run as the StatefulSet postgres behind the Service postgres")
	}
	if Find(objs, "Service", "redis") == nil {
		t.Error("Redis must be reachable as the Service redis")
	}
	cfg := ConfigData(objs)
	for k, host := range map[string]string{"KOE_DATABASE_URL": "postgres:5432", "KOE_REDIS_URL": "redis:6379"} {
		if u, err := url.Parse(cfg[k]); err != nil || u.Host != host {
			t.Errorf("%s = %q, want the host %s", k, cfg[k], host)
		}
	}
	checkJob(t, objs, "koe-seed", "seed")
}

func checkDev(t *testing.T, objs []Object) {
	checkApp(t, objs, false)
	checkInClusterData(t, objs)
	checkScorerComponent(t, objs)
}

func checkStaging(t *testing.T, objs []Object) {
	checkApp(t, objs, true)
	checkManaged(t, objs)
}

// checkManaged checks staging and production: data in managed services
// named by the Secret, backups, Prometheus Operator scraping.
func checkManaged(t *testing.T, objs []Object) {
	t.Helper()
	if Find(objs, "StatefulSet", "postgres") != nil {
		t.Error("no in-cluster PostgreSQL here")
	}
	if len(OfKind(objs, "HorizontalPodAutoscaler")) != 1 {
		t.Error("one HorizontalPodAutoscaler wanted")
	}
	report(t, "podmonitor", CheckPodMonitor(objs))
	o := Find(objs, "CronJob", "koe-backup")
	if o == nil {
		t.Fatal("CronJob koe-backup missing")
	}
	cj := o.Obj.(*batchv1.CronJob)
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Error("backups must not overlap: concurrencyPolicy Forbid")
	}
	spec := cj.Spec.JobTemplate.Spec.Template.Spec
	pvc := false
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil && Find(objs, "PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName) != nil {
			pvc = true
		}
	}
	if !pvc || !strings.Contains(strings.Join(spec.Containers[0].Args, " "), "pg_dump") {
		t.Error("the backup must pg_dump onto a PersistentVolumeClaim in the manifests")
	}
}

func checkProduction(t *testing.T, objs []Object) {
	checkApp(t, objs, true)
	checkManaged(t, objs)
	report(t, "canary", CheckCanary(objs))
	for _, o := range OfKind(objs, "HorizontalPodAutoscaler") {
		spec := o.Obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec
		if spec.ScaleTargetRef.Kind != "Rollout" || spec.MinReplicas == nil || *spec.MinReplicas < 3 {
			t.Errorf("%s: production scales the Rollout, with at least 3 replicas", o.ID())
		}
	}
}

func checkPreview(t *testing.T, objs []Object) {
	host := checkApp(t, objs, true)
	checkInClusterData(t, objs)
	checkScorerComponent(t, objs)
	if host != "feature-oidc-login.preview.example.com" {
		t.Errorf("preview host %q", host)
	}
	for _, p := range Pods(objs) {
		for _, c := range p.Spec.Containers {
			if strings.HasPrefix(c.Image, Image) && c.Image != Image+":0123456789abcdef0123456789abcdef01234567" {
				t.Errorf("%s: image %s, want the branch's commit", p.Owner.ID(), c.Image)
			}
		}
	}
}

func checkBench(t *testing.T, objs []Object) {
	j := checkJob(t, objs, "koe-bench", "bench", "fanout", "--url=http://koe",
		"--subscribers=$(BENCH_SUBSCRIBERS)", "--participants=$(BENCH_PARTICIPANTS)",
		"--questions-per-s=$(BENCH_QUESTIONS_PER_S)", "--likes-per-s=$(BENCH_LIKES_PER_S)", "--duration=$(BENCH_DURATION)")
	if j != nil && (j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0) {
		t.Error("a load test is not retried: backoffLimit 0")
	}
	if Find(objs, "NetworkPolicy", "koe-bench") == nil {
		t.Error("NetworkPolicy koe-bench missing: koe's public port admits only the ingress controller otherwise")
	}
	for _, o := range objs {
		if o.Meta.GetNamespace() != "" {
			t.Errorf("%s: jobs/bench is applied with kubectl -n; no namespace in it", o.ID())
		}
	}
}

// koeVariables lists the KOE_* variables koe reads, from its source.
func koeVariables(t *testing.T) map[string]bool {
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "..", "..")
	re := regexp.MustCompile(`"(KOE_[A-Z0-9_]+)"`)
	known := map[string]bool{}
	for _, pattern := range []string{"cmd/koe/*.go", "bench/*.go"} {
		files, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllSubmatch(b, -1) {
				known[string(m[1])] = true
			}
		}
	}
	if !known["KOE_ADDR"] || !known["KOE_DATABASE_URL"] {
		t.Fatalf("could not read koe's variables from cmd/koe: %v", known)
	}
	return known
}

// TestAnalysisConditions runs the canary's success conditions through Argo
// Rollouts' own evaluator, with the template's default thresholds, on
// what Prometheus may answer: an empty vector (the provider passes an
// empty, non-nil slice), NaN (no traffic), good and bad values.
func TestAnalysisConditions(t *testing.T) {
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	rm, err := Render(filepath.Join(dir, "overlays/production"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(rm)
	if err != nil {
		t.Fatal(err)
	}
	at := Find(objs, "AnalysisTemplate", "koe-canary").Obj.(*v1alpha1.AnalysisTemplate)
	defaults := map[string]string{}
	for _, a := range at.Spec.Args {
		if a.Value != nil {
			defaults[a.Name] = *a.Value
		}
	}
	nan := math.NaN()
	type want int
	const (
		pass want = iota
		fail
		inconclusive
	)
	cases := map[string][]struct {
		result []float64
		want   want
	}{
		"error-ratio":          {{[]float64{}, pass}, {[]float64{nan}, pass}, {[]float64{0}, pass}, {[]float64{0.009}, pass}, {[]float64{0.05}, fail}, {[]float64{1}, fail}},
		"request-latency-p99":  {{[]float64{}, pass}, {[]float64{nan}, pass}, {[]float64{0.08}, pass}, {[]float64{0.9}, fail}, {[]float64{math.Inf(1)}, fail}},
		"delivery-latency-p99": {{[]float64{}, pass}, {[]float64{nan}, pass}, {[]float64{0.2}, pass}, {[]float64{1.5}, fail}},
		"user-traffic":         {{[]float64{}, inconclusive}, {[]float64{0}, inconclusive}, {[]float64{3.5}, pass}},
	}
	args := regexp.MustCompile(`\{\{\s*args\.([a-z0-9-]+)\s*\}\}`)
	subst := func(s string) string {
		return args.ReplaceAllStringFunc(s, func(m string) string {
			name := args.FindStringSubmatch(m)[1]
			v, ok := defaults[name]
			if !ok {
				t.Errorf("condition %q uses args.%s, which has no default", s, name)
			}
			return v
		})
	}
	for _, m := range at.Spec.Metrics {
		tc, ok := cases[m.Name]
		if !ok {
			t.Errorf("metric %s has no test cases here", m.Name)
			continue
		}
		m.SuccessCondition = subst(m.SuccessCondition)
		m.FailureCondition = subst(m.FailureCondition)
		for _, c := range tc {
			phase, err := evaluate.EvaluateResult(c.result, m, *logrus.NewEntry(logrus.New()))
			if err != nil {
				t.Errorf("%s on %v: %v", m.Name, c.result, err)
				continue
			}
			got := map[v1alpha1.AnalysisPhase]want{v1alpha1.AnalysisPhaseSuccessful: pass, v1alpha1.AnalysisPhaseFailed: fail, v1alpha1.AnalysisPhaseInconclusive: inconclusive}[phase]
			if got != c.want {
				t.Errorf("%s on %v: %s", m.Name, c.result, phase)
			}
		}
	}
}
