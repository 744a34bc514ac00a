using System.Reflection;
using M2MSec.Storage;

namespace M2MSec.Tests.Support;

/// <summary>
/// A function's state whose one store method fails (a full disk as that write is made); everything else is the inner store's, so a
/// request that makes several changes meets the failure part-way through (decisions 053, 055: then none of them may stay).
/// </summary>
public class StateWithFailingCall : DispatchProxy
{
    private IStateStore _inner = null!;
    private string _store = null!;
    private object _failing = null!;

    /// <param name="inner">The real state.</param>
    /// <param name="store">The state's property holding the store (<c>Dm</c>, <c>OtaJobs</c>, …).</param>
    /// <param name="method">The store's method that fails, every overload.</param>
    public static IStateStore Wrap(IStateStore inner, string store, string method)
    {
        var property = typeof(IStateStore).GetProperty(store) ?? throw new ArgumentException($"IStateStore has no {store}", nameof(store));
        var proxy = Create<IStateStore, StateWithFailingCall>();
        var self = (StateWithFailingCall)(object)proxy;
        self._inner = inner;
        self._store = "get_" + store;
        self._failing = FailingMethod.Wrap(property.PropertyType, property.GetValue(inner)!, method);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod!.Name == _store ? _failing : Forward(targetMethod, _inner, args);

    internal static object? Forward(MethodInfo method, object target, object?[]? args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>A store whose <c>method</c> fails with an <see cref="IOException"/> (as a faulted ValueTask); the rest passes through.</summary>
    public class FailingMethod : DispatchProxy
    {
        private object _inner = null!;
        private string _method = null!;

        public static object Wrap(Type storeInterface, object inner, string method)
        {
            var proxy = Create(storeInterface, typeof(FailingMethod));
            var self = (FailingMethod)proxy;
            self._inner = inner;
            self._method = method;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name != _method)
                return Forward(targetMethod, _inner, args);
            var failure = new IOException("No space left on device");
            var type = targetMethod.ReturnType;
            if (type == typeof(ValueTask))
                return ValueTask.FromException(failure);
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            {
                var fromException = typeof(ValueTask).GetMethods(BindingFlags.Public | BindingFlags.Static)
                    .Single(m => m.Name == nameof(ValueTask.FromException) && m.IsGenericMethodDefinition);
                return fromException.MakeGenericMethod(type.GetGenericArguments()[0]).Invoke(null, [failure]);
            }
            throw failure;
        }
    }
}
