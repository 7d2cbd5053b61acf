package telcopipes.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.ArrayList;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/*
 * The build step that lists the registry's dynamic configuration properties
 * lives in a Quarkus deployment module that Maven Central does not carry.
 * Without it the registry runs with its static configuration only, which is
 * all the tests use.
 */
public class DynamicProperties {
	@Produces
	@Singleton
	DynamicConfigPropertyList dynamicConfigProperties() {
		return new DynamicConfigPropertyList(new ArrayList<>());
	}
}
