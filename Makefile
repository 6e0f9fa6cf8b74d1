# cutover — two commands for a newcomer:
#   make run    the full suite on the embedded fakes, with a readable summary
#   make test   everything CI runs (.ci/run calls it)
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
REPORT      ?= out
FUZZTIME    ?= 5000x
REPEAT      ?= 20
BASE        ?= HEAD~1

.PHONY: run test check lint unit selftest repeat fuzz lab cross junit html interop bench bench-compare

run:
	$(GO) run ./cmd/cutover run --report $(REPORT)

test: lint cross unit selftest repeat fuzz junit html lab interop

check: test

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Unit, fuzz-seed, feature (godog, strict) and, when Docker answers,
# container tests, all under the race detector.
unit:
	$(GO) test -race -count=1 ./...

# Every check must fail with its faults and pass without.
selftest:
	$(GO) run ./cmd/cutover selftest

# Flakiness as data: the embedded suite REPEAT times, zero changed verdicts.
repeat:
	$(GO) run ./cmd/cutover run --repeat $(REPEAT) --seed 7

# Each fuzzer briefly (FUZZTIME each).
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# The command builds for the platforms QA teams run it on.
cross:
	GOOS=linux GOARCH=amd64 $(GO) build -o /dev/null ./cmd/...
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/cutover
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/cutover

# junit.xml against the Jenkins xUnit schema (xmllint) and a real reader
# (python3-junitparser), installed by the script when missing.
junit:
	bash scripts/check-junit.sh

# The HTML report in a real headless browser (Debian's chromium, installed
# when missing; skipped with a message when it cannot be), JavaScript off.
html:
	bash scripts/check-html.sh

# Lab mode: every capability through the CLI against independent
# open-source servers (BIND, SimpleSAMLphp, Kamailio, Prosody, Python's csv
# and slixmpp), each installed from Debian's packages when missing, each
# with a deliberate breakage that must fail exactly its checks.
lab:
	bash scripts/lab/run.sh

# The component proofs the lab does not cover: sipp against the registrar
# fake, our s2s against Prosody with SASL EXTERNAL and with dialback.
interop:
	bash scripts/interop-sipp.sh
	SKIP_XFED=1 bash scripts/interop-prosody.sh

# One table: the suite, selftest, and each fake beside a real server
# (BIND, Kamailio, Prosody) on this machine; installs the servers it needs.
bench:
	bash scripts/bench.sh

# The hot-path Go benchmarks of this tree against BASE's, with benchstat.
bench-compare:
	bash scripts/bench-compare.sh $(BASE)
