namespace ControlPlane.Tests.Support;

/// <summary>The application behind Kestrel on a loopback port, for tests where the real transport matters.</summary>
public sealed class KestrelFixture : ControlPlaneFixture
{
    protected override bool UseKestrel => true;
}
