package containers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ImageRepo is the repository of the fake's image; the tag is the first 16
// hex digits of the SHA-256 of the binary, so an unchanged fake reuses its
// image and a changed one gets a new image.
const ImageRepo = "cutover-fake"

// dockerfile makes the image from the static binary alone: FROM scratch
// pulls nothing. The fakes are servers and trust nobody, so the test CA is
// not needed in the image (the bundle carries it).
const dockerfile = "FROM scratch\nCOPY cutover-fake /cutover-fake\nENTRYPOINT [\"/cutover-fake\"]\n"

// ImageInfo says which image a Start used and what making it cost.
type ImageInfo struct {
	Ref   string // "cutover-fake:<hash>"
	Built bool   // false: an image with that tag existed and was reused
}

// ensureImage builds the fake (or takes cfg.fakeBinary) and builds its
// image unless an image with the binary's hash as tag exists.
func (d *docker) ensureImage(ctx context.Context, cfg *config) (ImageInfo, error) {
	dir, err := os.MkdirTemp("", "cutover-fake-image-")
	if err != nil {
		return ImageInfo{}, fmt.Errorf("containers: build context: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "cutover-fake")
	if cfg.fakeBinary != "" {
		if err := copyFile(cfg.fakeBinary, bin); err != nil {
			return ImageInfo{}, err
		}
	} else if err := buildFake(ctx, bin); err != nil {
		return ImageInfo{}, err
	}
	sum, err := hashFile(bin)
	if err != nil {
		return ImageInfo{}, err
	}
	info := ImageInfo{Ref: ImageRepo + ":" + sum[:16]}
	if _, err := d.cli.ImageInspect(ctx, info.Ref); err == nil {
		return info, nil
	} else if !cerrdefs.IsNotFound(err) {
		return info, fmt.Errorf("containers: inspect image %s: %w", info.Ref, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return info, fmt.Errorf("containers: build context: %w", err)
	}
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Dockerfile:     "Dockerfile",
		Repo:           ImageRepo,
		Tag:            sum[:16],
		KeepImage:      true,
		BuildLogWriter: cfg.buildLog,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.PullParent = false
			o.Labels = map[string]string{"cutover.image": ImageRepo, "cutover.sha256": sum}
		},
	}}
	if _, err := d.provider.BuildImage(ctx, req); err != nil {
		return info, fmt.Errorf("containers: build image %s: %w", info.Ref, err)
	}
	info.Built = true
	return info, nil
}

// buildFake compiles ./cmd/cutover-fake of the module in the working
// directory as a static linux binary (CGO_ENABLED=0) for the engine's
// architecture (assumed to be ours).
func buildFake(ctx context.Context, out string) error {
	gomod, err := goCmd(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return err
	}
	gomod = strings.TrimSpace(gomod)
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("containers: build cutover-fake: not inside the cutover module (go env GOMOD is empty): run from its checkout or use WithFakeBinary")
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + runtime.GOARCH}
	_, err = goCmd(ctx, filepath.Dir(gomod), env,
		"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "./cmd/cutover-fake")
	return err
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("containers: go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("containers: hash binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("containers: hash binary: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("containers: fake binary: %w", err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		return fmt.Errorf("containers: fake binary: %w", err)
	}
	return nil
}
