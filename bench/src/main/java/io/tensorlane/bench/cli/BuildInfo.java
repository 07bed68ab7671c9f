package io.tensorlane.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The build version, filtered into a resource by Maven. */
public final class BuildInfo implements CommandLine.IVersionProvider {
    public static String version() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/tensorlane-version.properties")) {
            if (in == null) return "unknown (no tensorlane-version.properties)";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"tensorlane " + version()};
    }
}
