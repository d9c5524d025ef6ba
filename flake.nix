{
  description = "camview: secure, low-latency live video from cameras to viewers";

  # No flake.lock can be made offline on the build machines; pin the revision
  # here when a networked machine writes the lock. Unstable: camview's MSRV
  # (Rust 1.95) is newer than the last stable channel's rustc.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

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

      mkCamview = pkgs: pkgs.rustPlatform.buildRustPackage {
        pname = "camview";
        version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.version;
        src = ./.;
        cargoLock.lockFile = ./Cargo.lock;
        nativeBuildInputs = [ pkgs.buildPackages.pkg-config ];
        buildInputs = gstDeps pkgs;
        # The end-to-end tests need GStreamer plugins at run time and real
        # sockets; they run in CI (`just test`), not in the Nix sandbox.
        doCheck = false;
        # `nix run` must find the plugins without a system GStreamer: wrap the
        # binary (a plain script; fixup patches its shebang).
        postInstall = ''
          mv $out/bin/camview $out/bin/.camview-unwrapped
          cat > $out/bin/camview <<EOF
          #!/bin/sh
          export GST_PLUGIN_SYSTEM_PATH_1_0="${gstPluginPath pkgs}\''${GST_PLUGIN_SYSTEM_PATH_1_0:+:\$GST_PLUGIN_SYSTEM_PATH_1_0}"
          exec $out/bin/.camview-unwrapped "\$@"
          EOF
          chmod +x $out/bin/camview
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
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.default ];
            nativeBuildInputs = with pkgs; [ cargo rustc clippy rustfmt just ];
          };
        });

      checks = forAllSystems (system: self.packages.${system});
    };
}
